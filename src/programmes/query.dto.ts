import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;

/** ISO-8601: a calendar date, or a timestamp with an offset (a bare local time would be ambiguous). */
export const ISO_TIME =
  /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

export class PageQuery {
  @IsOptional() @IsString() @MaxLength(200) cursor?: string;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(200) limit?: number;
}

export class AtQuery {
  @IsString()
  @Matches(ISO_TIME, { message: '$property must be an ISO-8601 date or a timestamp with offset' })
  time!: string;
}

export class DeadlinesQuery extends PageQuery {
  @IsOptional()
  @IsString()
  @Matches(ISO_TIME, { message: '$property must be an ISO-8601 date or a timestamp with offset' })
  before?: string;
}

export class GraphQuery {
  @IsOptional() @IsIn(['json', 'dot', 'mermaid', 'svg']) format?:
    'json' | 'dot' | 'mermaid' | 'svg';
}
