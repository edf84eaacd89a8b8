/**
 * `keel.inference.v1.Inference/Answer`: the answer-question use case for internal callers.
 * Translates the proto request, validates it, delegates, and maps the answer back. Callers are
 * trusted services inside the cluster: the tenant and ACL groups come from the request (there is
 * no API key), which is why this port must never be exposed outside the cluster.
 */
import { randomUUID } from 'node:crypto';
import type { Citation as CitationProto } from '@keel/contracts/common/v1';
import { type AnswerRequest, type AnswerResponse, InferenceService } from '@keel/contracts/inference/v1';
import {
  callerMetadataKey,
  type GrpcCallContext,
  type GrpcServiceRegistration,
  type Logger,
  unaryHandler,
  type Violation,
  validationError,
} from '@keel/platform';
import { isBlankText } from '@keel/text';
import type { Answer, AnswerRequest as AnswerInput } from '../answering/answer.js';
import {
  defaultTopK,
  maxAclGroupLength,
  maxAclGroups,
  maxModelNameLength,
  maxQuestionLength,
  maxTenantIdLength,
  maxTopK,
} from '../answering/answer-limits.js';
import type { AnswerQuestion } from '../answering/answer-question.js';
import { type ModelCatalog, modelNotFound } from '../models/model-catalog.js';

export const answerMethod = 'keel.inference.v1.Inference/Answer';

const callerNamePattern = /^[\w.-]{1,64}$/;

/**
 * Who asks over gRPC: the calling service, by the name its client sends along with the internal
 * credentials (`x-keel-caller`), as `service:<name>`. There is no API key on this port, so no
 * person to name; an absent or odd name reads `service:unknown`.
 */
export function grpcSubjectOf(call: Partial<Pick<GrpcCallContext, 'metadata'>>): string {
  const caller = call.metadata?.get(callerMetadataKey)[0];
  return `service:${typeof caller === 'string' && callerNamePattern.test(caller) ? caller : 'unknown'}`;
}

/**
 * The use case's request from the proto one. The tenant comes from `tenant_id` or, failing that,
 * the `x-keel-tenant-id` metadata, as every Keel gRPC service takes it; both given must agree.
 * Violations name the fields as the proto spells them (`acl_groups[3]`).
 */
export function answerInputOf(
  request: AnswerRequest,
  call: Pick<GrpcCallContext, 'tenantId'> & Partial<Pick<GrpcCallContext, 'metadata'>>,
  catalog: ModelCatalog,
): AnswerInput {
  const violations: Violation[] = [];
  const tenantId = request.tenantId || call.tenantId || '';
  if (!tenantId) {
    violations.push({ field: 'tenant_id', message: 'is required (in the request or the x-keel-tenant-id metadata)' });
  } else if (request.tenantId && call.tenantId && request.tenantId !== call.tenantId) {
    violations.push({ field: 'tenant_id', message: 'differs from the x-keel-tenant-id metadata' });
  } else if (tenantId.length > maxTenantIdLength) {
    violations.push({ field: 'tenant_id', message: `must be at most ${maxTenantIdLength} characters` });
  }
  const question = request.question.trim();
  // Only invisible characters (zero-width spaces, bidi controls...) is no question either.
  if (isBlankText(question)) violations.push({ field: 'question', message: 'is required' });
  else if (question.length > maxQuestionLength) {
    violations.push({ field: 'question', message: `must be at most ${maxQuestionLength} characters` });
  }
  if (request.aclGroups.length > maxAclGroups) {
    violations.push({ field: 'acl_groups', message: `must have at most ${maxAclGroups} groups` });
  } else {
    request.aclGroups.forEach((group, index) => {
      if (group.length > maxAclGroupLength) {
        violations.push({ field: `acl_groups[${index}]`, message: `must be at most ${maxAclGroupLength} characters` });
      }
    });
  }
  if (request.model.length > maxModelNameLength) {
    violations.push({ field: 'model', message: `must be at most ${maxModelNameLength} characters` });
  }
  if (request.topK < 0 || request.topK > maxTopK) {
    violations.push({ field: 'top_k', message: `must be between 1 and ${maxTopK} (0 means ${defaultTopK})` });
  }
  if (violations.length > 0) throw validationError(violations);

  const model = request.model ? catalog.find(request.model) : catalog.defaultModel;
  if (!model) throw modelNotFound(request.model);
  return {
    requestId: randomUUID(),
    endpoint: answerMethod,
    tenantId,
    subject: grpcSubjectOf(call),
    aclGroups: [...new Set(request.aclGroups.filter((group) => group !== ''))],
    question,
    topK: request.topK || defaultTopK,
    filters: {},
    model,
  };
}

export function answerResponseOf(answer: Answer): AnswerResponse {
  return {
    answer: answer.answer,
    citations: answer.citations.map(
      (citation): CitationProto => ({
        documentId: citation.documentId,
        documentVersion: citation.documentVersion,
        chunkId: citation.chunkId,
        title: citation.title,
        source: citation.source,
        startOffset: citation.startOffset,
        endOffset: citation.endOffset,
        score: citation.score,
        quote: citation.quote,
        marker: citation.marker,
      }),
    ),
    model: answer.model,
    // The embedded model costs nothing; provider adapters will price their calls.
    usage: { ...answer.usage, costUsd: 0 },
    requestId: answer.id,
    policyDecision: answer.policy.output.decision,
    ...guardrailFieldsOf(answer),
  };
}

export function inferenceGrpcService(deps: {
  answerQuestion: AnswerQuestion;
  catalog: ModelCatalog;
  logger: Logger;
}): GrpcServiceRegistration {
  return {
    definition: InferenceService,
    implementation: {
      answer: unaryHandler<AnswerRequest, AnswerResponse>(deps.logger, async (request, call) => {
        const answer = await deps.answerQuestion(answerInputOf(request, call, deps.catalog));
        return answerResponseOf(answer);
      }),
    },
  };
}

/** What the guardrails withheld, and whether policy was skipped (the tenant fails open). */
function guardrailFieldsOf(
  answer: Answer,
): Pick<AnswerResponse, 'passagesDropped' | 'passagesRedacted' | 'policyStatus'> {
  const withheld = answer.withheldPassages ?? [];
  return {
    ...(withheld.length > 0
      ? {
          passagesDropped: withheld.filter((passage) => passage.action === 'dropped').length,
          passagesRedacted: withheld.filter((passage) => passage.action === 'redacted').length,
        }
      : {}),
    ...(answer.policyStatus ? { policyStatus: answer.policyStatus } : {}),
  };
}
