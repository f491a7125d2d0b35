import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
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

const DAY = { type: String, format: 'date', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } as const;

export class ContactDto {
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'Siri Sekretær' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @IsSingleLine()
  name!: string;
  @ApiProperty({ format: 'email', maxLength: 254, example: 'siri@nordkyn.kommune.no' })
  @IsString()
  @IsEmail()
  @MaxLength(254)
  @IsSingleLine()
  email!: string;
}

export class BoardMemberDto extends ContactDto {
  @ApiPropertyOptional({ maxLength: 100, description: 'Role on the board', example: 'styreleder' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @IsSingleLine()
  role?: string;
}

export class CreateProgrammeDto {
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'Nordkyn' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @IsSingleLine()
  municipality!: string;
  /** Kommunenummer: four digits. */
  @ApiProperty({ pattern: '^\\d{4}$', description: 'Kommunenummer: four digits', example: '5636' })
  @IsString()
  @Matches(/^\d{4}$/, { message: '$property must be four digits' })
  municipalityNumber!: string;
  @ApiProperty({
    ...DAY,
    description: 'Start of the restructuring programme',
    example: '2023-01-01',
  })
  @IsDay()
  programmeStart!: string;
  @ApiProperty({
    ...DAY,
    description: 'End of the programme; after the start',
    example: '2028-12-31',
  })
  @IsDay()
  programmeEnd!: string;
  @ApiProperty({
    type: [BoardMemberDto],
    minItems: 1,
    maxItems: 50,
    description: 'The restructuring board (omstillingsstyret)',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => BoardMemberDto)
  board!: BoardMemberDto[];
  @ApiPropertyOptional({
    type: [ContactDto],
    maxItems: 50,
    description: 'The municipality’s administrators of the programme',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => ContactDto)
  administrators?: ContactDto[];
  @ApiPropertyOptional({ type: () => ContactDto, description: 'The mayor (ordfører)' })
  @IsOptional()
  @ValidateNested()
  @Type(() => ContactDto)
  mayor?: ContactDto;
}

export class PatchProgrammeDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 200, example: 'Nordkyn' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @IsSingleLine()
  municipality?: string;
  @ApiPropertyOptional({ ...DAY, description: 'New programme start; deadlines follow' })
  @IsOptional()
  @IsDay()
  programmeStart?: string;
  @ApiPropertyOptional({ ...DAY, description: 'New programme end; deadlines follow' })
  @IsOptional()
  @IsDay()
  programmeEnd?: string;
  @ApiPropertyOptional({
    type: [BoardMemberDto],
    minItems: 1,
    maxItems: 50,
    description: 'Replaces the board',
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => BoardMemberDto)
  board?: BoardMemberDto[];
  @ApiPropertyOptional({
    type: [ContactDto],
    maxItems: 50,
    description: 'Replaces the administrators',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => ContactDto)
  administrators?: ContactDto[];
  /** null removes the mayor. */
  @ApiPropertyOptional({
    type: () => ContactDto,
    nullable: true,
    description: 'The mayor; null removes',
  })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @ValidateNested()
  @Type(() => ContactDto)
  mayor?: ContactDto | null;
  @ApiPropertyOptional({
    maxLength: 2000,
    description: 'Why the period changes; recorded in the history',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  reason?: string;
}
