import { GrpcCode, KeelError, notFound, unauthenticated, unavailable, validationError } from '@keel/platform';
import { describe, expect, it } from 'vitest';
import { toOpenAiError } from './openai-errors.js';

describe('toOpenAiError', () => {
  it('maps an unknown API key to a 401 invalid_api_key', () => {
    expect(toOpenAiError(unauthenticated('the API key is not valid', 'AUTH.UNKNOWN_API_KEY'))).toEqual({
      status: 401,
      body: {
        error: {
          message: 'the API key is not valid',
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        },
      },
    });
  });

  it('names the first invalid parameter the OpenAI way', () => {
    const { status, body } = toOpenAiError(validationError([{ field: 'messages.0.content', message: 'Required' }]));
    expect(status).toBe(400);
    expect(body.error).toMatchObject({
      type: 'invalid_request_error',
      param: 'messages[0].content',
      code: 'REQUEST.INVALID',
    });
  });

  it('answers a policy-blocked question with 400 content_policy_violation', () => {
    const blocked = new KeelError('blocked', {
      code: 'POLICY.BLOCKED',
      httpStatus: 422,
      grpcCode: GrpcCode.FAILED_PRECONDITION,
      retryable: false,
    });
    expect(toOpenAiError(blocked)).toMatchObject({
      status: 400,
      body: { error: { code: 'content_policy_violation' } },
    });
  });

  it('keeps Keel codes that have no OpenAI equivalent, and types by status', () => {
    expect(toOpenAiError(unavailable('retrieval', 'connection refused'))).toMatchObject({
      status: 503,
      body: {
        error: {
          type: 'server_error',
          code: 'DEPENDENCY.UNAVAILABLE',
          message: 'retrieval unavailable: connection refused',
        },
      },
    });
    expect(toOpenAiError(notFound('thing'))).toMatchObject({
      status: 404,
      body: { error: { type: 'invalid_request_error' } },
    });
  });

  it('maps a malformed path to a 400 that names no parameter', () => {
    expect(toOpenAiError(new URIError('URI malformed'))).toEqual({
      status: 400,
      body: {
        error: {
          message: expect.stringMatching(/percent-encoding/),
          type: 'invalid_request_error',
          param: null,
          code: 'HTTP.MALFORMED_PATH',
        },
      },
    });
  });

  it('maps malformed JSON and hides unknown errors', () => {
    expect(toOpenAiError(Object.assign(new Error('Unexpected token'), { type: 'entity.parse.failed' }))).toMatchObject({
      status: 400,
      body: { error: { code: 'HTTP.MALFORMED_JSON', type: 'invalid_request_error' } },
    });
    const hidden = toOpenAiError(new Error('SELECT * FROM secrets'));
    expect(hidden.status).toBe(500);
    expect(hidden.body.error.message).not.toContain('secrets');
  });
});
