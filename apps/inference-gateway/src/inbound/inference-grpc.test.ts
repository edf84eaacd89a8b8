import { Metadata } from '@grpc/grpc-js';
import type { AnswerRequest } from '@keel/contracts/inference/v1';
import type { ChatModel } from '@keel/models';
import { GrpcCode, isKeelError } from '@keel/platform';
import { describe, expect, it } from 'vitest';
import type { Answer } from '../answering/answer.js';
import { createModelCatalog } from '../models/model-catalog.js';
import { answerInputOf, answerResponseOf } from './inference-grpc.js';

function model(id: string): ChatModel {
  return {
    descriptor: { id, provider: 'test', ownedBy: 'keel' },
    complete: async () => {
      throw new Error('not called');
    },
  };
}

const catalog = createModelCatalog([model('first'), model('second')]);

function request(overrides: Partial<AnswerRequest> = {}): AnswerRequest {
  return { tenantId: 'acme', question: 'How long is the warranty?', aclGroups: [], model: '', topK: 0, ...overrides };
}

function violationsOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    if (isKeelError(error) && error.grpcCode === GrpcCode.INVALID_ARGUMENT) return error.violations;
    throw error;
  }
  throw new Error('expected INVALID_ARGUMENT');
}

describe('answerInputOf', () => {
  it('takes the tenant, groups and question of the request, with the default model and top_k', () => {
    const input = answerInputOf(request({ question: '  Why?  ', aclGroups: ['eng', '', 'eng', 'ops'] }), {}, catalog);
    expect(input).toMatchObject({
      endpoint: 'keel.inference.v1.Inference/Answer',
      tenantId: 'acme',
      question: 'Why?',
      aclGroups: ['eng', 'ops'],
      topK: 5,
      filters: {},
    });
    expect(input.model.descriptor.id).toBe('first');
    expect(input.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('picks the named model and top_k, and takes the tenant from the metadata when the request has none', () => {
    const input = answerInputOf(request({ tenantId: '', model: 'second', topK: 3 }), { tenantId: 'globex' }, catalog);
    expect(input).toMatchObject({ tenantId: 'globex', topK: 3 });
    expect(input.model.descriptor.id).toBe('second');
  });

  it('names every invalid field', () => {
    expect(violationsOf(() => answerInputOf(request({ tenantId: '', question: ' ', topK: 51 }), {}, catalog))).toEqual([
      { field: 'tenant_id', message: expect.stringMatching(/is required/) },
      { field: 'question', message: 'is required' },
      { field: 'top_k', message: expect.stringMatching(/between 1 and 50/) },
    ]);
    expect(violationsOf(() => answerInputOf(request({ topK: -1, question: 'x'.repeat(4097) }), {}, catalog))).toEqual([
      { field: 'question', message: 'must be at most 4096 characters' },
      { field: 'top_k', message: expect.any(String) },
    ]);
  });

  it('refuses a question made only of invisible characters, and fields over their limits', () => {
    expect(
      violationsOf(() => answerInputOf(request({ question: '\u200b\u2060\u202e\ufeff \u3164' }), {}, catalog)),
    ).toEqual([{ field: 'question', message: 'is required' }]);
    expect(
      violationsOf(() =>
        answerInputOf(
          request({ aclGroups: Array.from({ length: 257 }, (_, i) => `g${i}`), model: 'm'.repeat(257) }),
          {},
          catalog,
        ),
      ),
    ).toEqual([
      { field: 'acl_groups', message: 'must have at most 256 groups' },
      { field: 'model', message: 'must be at most 256 characters' },
    ]);
    expect(violationsOf(() => answerInputOf(request({ aclGroups: ['eng', 'g'.repeat(257)] }), {}, catalog))).toEqual([
      { field: 'acl_groups[1]', message: 'must be at most 256 characters' },
    ]);
    expect(violationsOf(() => answerInputOf(request({ tenantId: 't'.repeat(513) }), {}, catalog))).toEqual([
      { field: 'tenant_id', message: 'must be at most 512 characters' },
    ]);
  });

  it('names the calling service as the subject', () => {
    const metadata = new Metadata();
    metadata.set('x-keel-caller', 'evaluation');
    expect(answerInputOf(request(), { metadata }, catalog).subject).toBe('service:evaluation');
    expect(answerInputOf(request(), {}, catalog).subject).toBe('service:unknown');
    const odd = new Metadata();
    odd.set('x-keel-caller', 'not a service name!');
    expect(answerInputOf(request(), { metadata: odd }, catalog).subject).toBe('service:unknown');
  });

  it('refuses a tenant that differs from the metadata', () => {
    expect(violationsOf(() => answerInputOf(request(), { tenantId: 'globex' }, catalog))).toEqual([
      { field: 'tenant_id', message: 'differs from the x-keel-tenant-id metadata' },
    ]);
  });

  it('answers an unknown model with NOT_FOUND', () => {
    expect(() => answerInputOf(request({ model: 'gpt-4o' }), {}, catalog)).toThrow(
      expect.objectContaining({ code: 'MODEL.NOT_FOUND', grpcCode: GrpcCode.NOT_FOUND }),
    );
  });
});

describe('answerResponseOf', () => {
  it('maps the answer, its citations with their markers, usage and the output decision', () => {
    const outcome = { decisionId: 'd', reason: '', policyVersion: 'v1', findingTypes: [] };
    const answer: Answer = {
      id: 'req-1',
      answer: 'Two years. [2]',
      citations: [
        {
          marker: 2,
          documentId: 'warranty',
          documentVersion: 'v3',
          title: 'Warranty',
          source: 'kb://warranty.md',
          chunkId: 'warranty#0',
          startOffset: 10,
          endOffset: 90,
          score: 0.5,
          quote: 'Two years.',
        },
      ],
      model: 'first',
      provider: 'test',
      usage: { promptTokens: 7, completionTokens: 3, totalTokens: 10 },
      finishReason: 'stop',
      policy: { input: { ...outcome, decision: 'ALLOW' }, output: { ...outcome, decision: 'REDACT' } },
      flagged: false,
      latencyMs: 4,
    };
    expect(answerResponseOf(answer)).toEqual({
      answer: 'Two years. [2]',
      citations: [
        {
          documentId: 'warranty',
          documentVersion: 'v3',
          chunkId: 'warranty#0',
          title: 'Warranty',
          source: 'kb://warranty.md',
          startOffset: 10,
          endOffset: 90,
          score: 0.5,
          quote: 'Two years.',
          marker: 2,
        },
      ],
      model: 'first',
      usage: { promptTokens: 7, completionTokens: 3, totalTokens: 10, costUsd: 0 },
      requestId: 'req-1',
      policyDecision: 'REDACT',
    });
  });
});
