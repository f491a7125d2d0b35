import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsEmail,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { IsDay, IsSingleLine } from '../../workflows/kit';

export class ContactDto {
  @IsString() @IsNotEmpty() @MaxLength(200) @IsSingleLine() name!: string;
  @IsString() @IsEmail() @MaxLength(254) @IsSingleLine() email!: string;
}

export class BoardMemberDto extends ContactDto {
  @IsOptional() @IsString() @MaxLength(100) @IsSingleLine() role?: string;
}

export class CreateProgrammeDto {
  @IsString() @IsNotEmpty() @MaxLength(200) @IsSingleLine() municipality!: string;
  /** Kommunenummer: four digits. */
  @IsString()
  @Matches(/^\d{4}$/, { message: '$property must be four digits' })
  municipalityNumber!: string;
  @IsDay() programmeStart!: string;
  @IsDay() programmeEnd!: string;
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => BoardMemberDto)
  board!: BoardMemberDto[];
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => ContactDto)
  administrators?: ContactDto[];
  @IsOptional() @ValidateNested() @Type(() => ContactDto) mayor?: ContactDto;
}

export class PatchProgrammeDto {
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(200) @IsSingleLine() municipality?: string;
  @IsOptional() @IsDay() programmeStart?: string;
  @IsOptional() @IsDay() programmeEnd?: string;
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => BoardMemberDto)
  board?: BoardMemberDto[];
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => ContactDto)
  administrators?: ContactDto[];
  /** null removes the mayor. */
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @ValidateNested()
  @Type(() => ContactDto)
  mayor?: ContactDto | null;
  @IsOptional() @IsString() @MaxLength(2000) reason?: string;
}
