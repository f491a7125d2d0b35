import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;

/** ISO-8601: a calendar date, or a timestamp with an offset (a bare local time would be ambiguous). */
export const ISO_TIME =
  /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

export class PageQuery {
  @ApiPropertyOptional({
    maxLength: 200,
    description: '`nextCursor` of the previous page; the first page when left out',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 200, description: 'Page size' })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

export class AtQuery {
  @ApiProperty({
    description:
      'ISO-8601: a calendar date (the end of that day in Europe/Oslo) or a timestamp with an offset',
    example: '2026-06-01T12:00:00+02:00',
    pattern: ISO_TIME.source,
  })
  @IsString()
  @Matches(ISO_TIME, { message: '$property must be an ISO-8601 date or a timestamp with offset' })
  time!: string;
}

export class DeadlinesQuery extends PageQuery {
  @ApiPropertyOptional({
    description:
      'ISO-8601 date or timestamp with offset: deadlines due before it; a year from now when left out',
    example: '2026-12-31',
    pattern: ISO_TIME.source,
  })
  @IsOptional()
  @IsString()
  @Matches(ISO_TIME, { message: '$property must be an ISO-8601 date or a timestamp with offset' })
  before?: string;
}

export class GraphQuery {
  @ApiPropertyOptional({ enum: ['json', 'dot', 'mermaid', 'svg'], description: 'Graph format' })
  @IsOptional()
  @IsIn(['json', 'dot', 'mermaid', 'svg'])
  format?: 'json' | 'dot' | 'mermaid' | 'svg';
}
