import { ValidationPipe } from '@nestjs/common';
import { fieldProblems } from '../../workflows/kit';
import { InvalidRequest } from './errors';

/** Bodies and queries: unknown fields refused, types enforced, every problem named in Norwegian. */
export function validationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new InvalidRequest(fieldProblems(errors)),
  });
}
