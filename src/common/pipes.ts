import { Injectable, type PipeTransform } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { InvalidRequest } from './errors';

/** A path id that must be a UUID: anything else is a 400 naming the parameter. */
@Injectable()
export class UuidPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!isUUID(value)) {
      throw new InvalidRequest([
        { field: 'id', message: 'må være en UUID', messageEn: 'must be a UUID' },
      ]);
    }
    return value.toLowerCase();
  }
}
