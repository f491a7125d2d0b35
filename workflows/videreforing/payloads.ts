import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsEmail,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsDay, IsPlainText, IsSingleLine, type PayloadClass } from '../kit/validation';
import { isValidOrganisasjonsnummer } from './queries';
import { phases, type CostCategory } from './data';
import type { VidereforingEventType } from './types';
import { registerDecorator } from 'class-validator';

/**
 * The payload of every event (SPEC §4.2) as class-validator classes: the engine validates each
 * event against its class before any guard runs, and the API documents them from the same source.
 * What is wrong with the *content* (too few alternatives, shares not summing to 100 %) is left to
 * the guards, which explain it as a blocked transition.
 */

const MAX_AMOUNT_NOK = 10_000_000_000;
const NAME = 200;
const TEXT = 10_000;
const REF = 500;

function Name() {
  return (target: object, key: string) => {
    IsString()(target, key);
    IsNotEmpty()(target, key);
    MaxLength(NAME)(target, key);
    IsSingleLine()(target, key);
  };
}

function Text(max = TEXT) {
  return (target: object, key: string) => {
    IsString()(target, key);
    IsNotEmpty()(target, key);
    MaxLength(max)(target, key);
    IsPlainText()(target, key);
  };
}

function OptionalText(max = TEXT) {
  return (target: object, key: string) => {
    IsOptional()(target, key);
    IsString()(target, key);
    MaxLength(max)(target, key);
    IsPlainText()(target, key);
  };
}

function Email() {
  return (target: object, key: string) => {
    IsString()(target, key);
    IsEmail({}, { message: '$property must be a valid e-mail address' })(target, key);
    MaxLength(254)(target, key);
    IsSingleLine()(target, key);
  };
}

function Amount() {
  return (target: object, key: string) => {
    IsInt()(target, key);
    Min(0)(target, key);
    Max(MAX_AMOUNT_NOK)(target, key);
  };
}

function IsOrganisasjonsnummer() {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isOrganisasjonsnummer',
      target: target.constructor,
      propertyName,
      options: {
        message: '$property must be a valid organisasjonsnummer (nine digits, modulus 11)',
      },
      validator: { validate: (value: unknown) => isValidOrganisasjonsnummer(value) },
    });
}

export class PersonPayload {
  @Name() name!: string;
  @Email() email!: string;
}

export class ProjectLeaderPayload extends PersonPayload {
  @IsBoolean() external!: boolean;
  @IsOptional() @Name() organisation?: string;
}

export class ConsultantPayload extends PersonPayload {
  @Name() organisation!: string;
}

export class RolesAssignPayload {
  @Name() prosjekteier!: string;
  @IsDefined() @ValidateNested() @Type(() => PersonPayload) prosjektansvarlig!: PersonPayload;
  @IsDefined()
  @ValidateNested()
  @Type(() => ProjectLeaderPayload)
  prosjektleder!: ProjectLeaderPayload;
}

export class TenderPublishPayload {
  @IsDay() publishedAt!: string;
  @IsDay() answerDeadline!: string;
  @IsOptional() @Name() reference?: string;
}

export class ContractAwardPayload {
  @IsDefined() @ValidateNested() @Type(() => ConsultantPayload) consultant!: ConsultantPayload;
  @IsDay() awardedAt!: string;
  @IsOptional() @Amount() feeNok?: number;
}

export class ForstudieStartPayload {
  @OptionalText() lateStartJustification?: string;
}

const activityIds = Object.values(phases).flatMap((p) => p.activities.map((a) => a.id));

export class ActivityCompletePayload {
  @IsString() @IsIn(activityIds) activityId!: string;
  @OptionalText() note?: string;
}

export class ActivityReopenPayload {
  @IsString() @IsIn(activityIds) activityId!: string;
  @Text() reason!: string;
}

const costCategories: CostCategory[] = ['konsulenthonorar', 'interneRessurser', 'andreKostnader'];

export class CostRecordPayload {
  @IsString() @IsIn(costCategories) category!: CostCategory;
  @Amount() amountNok!: number;
  @IsDay() date!: string;
  @Text(1000) description!: string;
}

export class FundingApplyPayload {
  @Amount() amountNok!: number;
  @IsDay() appliedAt!: string;
}

export class AlternativePayload {
  @Name() title!: string;
  @OptionalText() finansiering?: string;
  @OptionalText() organisering?: string;
  @OptionalText() geografiskVirkeomrade?: string;
}

export class ForprosjektSectionsPayload {
  @OptionalText() organisering?: string;
  @OptionalText() eierskap?: string;
  @OptionalText() bemanning?: string;
  @OptionalText() finansiering?: string;
  @OptionalText() realisering?: string;
}

export class ReportSubmitPayload {
  @Text(REF) documentRef!: string;
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => AlternativePayload)
  alternatives?: AlternativePayload[];
  @IsOptional()
  @ValidateNested()
  @Type(() => ForprosjektSectionsPayload)
  sections?: ForprosjektSectionsPayload;
}

export class ReportApprovePayload {
  @IsOptional() @Name() meetingRef?: string;
}

export class ReportRejectPayload {
  @Text() reason!: string;
}

export class BudgetOverrunApprovePayload {
  @Amount() newFrameNok!: number;
  @Text() reason!: string;
}

export class OwnerPayload {
  @Name() name!: string;
  @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0) @Max(100) sharePercent!: number;
}

export class ForprosjektStartPayload {
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => OwnerPayload)
  owners!: OwnerPayload[];
}

export class EmptyPayload {}

export class CompanyRegisterPayload {
  @Name() name!: string;
  @IsString() @IsOrganisasjonsnummer() organisasjonsnummer!: string;
  @IsDay() foundedAt!: string;
}

export class BoardMemberPayload {
  @Name() name!: string;
  @Name() role!: string;
}

export class BoardElectPayload {
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => BoardMemberPayload)
  members!: BoardMemberPayload[];
  @IsDay() electedAt!: string;
}

export class WorkflowCancelPayload {
  @Text() reason!: string;
}

export class ProgrammeReschedulePayload {
  @IsOptional() @IsDay() programmeStart?: string;
  @IsOptional() @IsDay() programmeEnd?: string;
  @OptionalText() reason?: string;
}

export const payloadClasses: Readonly<Record<VidereforingEventType, PayloadClass>> = {
  'roles.assign': RolesAssignPayload,
  'tender.publish': TenderPublishPayload,
  'contract.award': ContractAwardPayload,
  'forstudie.start': ForstudieStartPayload,
  'activity.complete': ActivityCompletePayload,
  'activity.reopen': ActivityReopenPayload,
  'cost.record': CostRecordPayload,
  'funding.apply': FundingApplyPayload,
  'report.submit': ReportSubmitPayload,
  'report.approve': ReportApprovePayload,
  'report.reject': ReportRejectPayload,
  'budgetOverrun.approve': BudgetOverrunApprovePayload,
  'forprosjekt.start': ForprosjektStartPayload,
  'hovedprosjekt.start': EmptyPayload,
  'company.register': CompanyRegisterPayload,
  'board.elect': BoardElectPayload,
  'hovedprosjekt.complete': EmptyPayload,
  'workflow.cancel': WorkflowCancelPayload,
  'programme.reschedule': ProgrammeReschedulePayload,
};
