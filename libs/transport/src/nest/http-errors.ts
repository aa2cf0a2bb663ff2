import {
  ArgumentsHost,
  BadRequestException,
  Catch,
  HttpStatus,
  ValidationPipe,
  type ExceptionFilter,
  type ValidationError,
} from '@nestjs/common';
import { MeshError } from '@mesh/core';
import { toMainnetRpcError } from '../errors';
import { throwError, type Observable } from 'rxjs';

/** The part of the platform response the filter uses (express). */
interface JsonResponse {
  status(code: number): { json(body: unknown): void };
}

/** HTTP status of each MeshError code; anything else is a 500. */
export const STATUS_OF_CODE: Record<string, number> = {
  INVALID_INPUT: HttpStatus.BAD_REQUEST,
  UNAUTHORIZED: HttpStatus.UNAUTHORIZED,
  NOT_FOUND: HttpStatus.NOT_FOUND,
  SPN_CONFLICT: HttpStatus.CONFLICT,
  SPN_NOT_ACTIVE: HttpStatus.CONFLICT,
  SETTLEMENT_REJECTED: HttpStatus.UNPROCESSABLE_ENTITY,
  STAKING_REJECTED: HttpStatus.UNPROCESSABLE_ENTITY,
  EVIDENCE_REJECTED: HttpStatus.UNPROCESSABLE_ENTITY,
  DATABASE: HttpStatus.SERVICE_UNAVAILABLE,
};

const REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  409: 'Conflict',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * Shared by the mainnet and SPN apps. Maps the libs' typed errors to HTTP answers `{ statusCode, error, message, code }`
 * (InvalidInputError 400, NotFoundError 404, SpnConflictError and SpnNotActiveError 409,
 * SettlementRejectedError, StakingRejectedError and EvidenceRejectedError 422).
 * Outside HTTP (a microservice handler) it answers with the transport's error body instead.
 */
@Catch(MeshError)
export class MeshErrorFilter implements ExceptionFilter<MeshError> {
  catch(exception: MeshError, host: ArgumentsHost): void | Observable<never> {
    if (host.getType() !== 'http') return throwError(() => toMainnetRpcError(exception));
    const statusCode = STATUS_OF_CODE[exception.code] ?? HttpStatus.INTERNAL_SERVER_ERROR;
    const body = { statusCode, error: REASON[statusCode], message: exception.message, code: exception.code };
    host.switchToHttp().getResponse<JsonResponse>().status(statusCode).json(body);
  }
}

function messagesOf(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) => (prefix ? `${prefix}.${m}` : m));
    return [...own, ...messagesOf(e.children ?? [], path)];
  });
}

/**
 * DTO validation for every HTTP route: unknown fields are refused, values converted to their
 * declared types, and a failure is a 400 whose message lists every reason in one string.
 */
export function meshValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) =>
      new BadRequestException({ statusCode: HttpStatus.BAD_REQUEST, error: 'Bad Request', message: messagesOf(errors).join('; ') }),
  });
}
