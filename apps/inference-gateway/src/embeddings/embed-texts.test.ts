import { GrpcCode, isKeelError, type KeelError } from '@keel/platform';
import { countTokens, type Embedder, TextError, TextErrorCode } from '@keel/text';
import { describe, expect, it } from 'vitest';
import { createEmbedTexts, embedderFailure, maxEmbeddingInputs, maxEmbeddingInputTokens } from './embed-texts.js';

/** Vectors that depend on the text, so that a mix-up of inputs and outputs shows. */
function fakeEmbedder(embed?: Embedder['embed']): Embedder & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    id: 'fake-3d',
    dimensions: 3,
    calls,
    embed:
      embed ??
      (async (texts) => {
        calls.push(texts);
        return texts.map((text) => [text.length, text.charCodeAt(0), 1]);
      }),
  };
}

async function failure(promise: Promise<unknown>): Promise<KeelError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isKeelError(error)) throw new Error(`expected a KeelError, got ${String(error)}`);
  return error;
}

describe('createEmbedTexts', () => {
  it('embeds every input in order and counts their tokens', async () => {
    const embedder = fakeEmbedder();
    const result = await createEmbedTexts(embedder)({ model: 'fake-3d', input: ['a', 'hello world'] });
    expect(result).toEqual({
      model: 'fake-3d',
      vectors: [
        [1, 97, 1],
        [11, 104, 1],
      ],
      promptTokens: countTokens('a') + countTokens('hello world'),
    });
    expect(embedder.calls).toEqual([['a', 'hello world']]);
  });

  it('embeds one string like an array of one, and accepts the dimensions the embedder has', async () => {
    const result = await createEmbedTexts(fakeEmbedder())({ model: 'fake-3d', input: 'abc', dimensions: 3 });
    expect(result.vectors).toEqual([[3, 97, 1]]);
  });

  it('answers an unknown model with MODEL.NOT_FOUND, before embedding anything', async () => {
    const embedder = fakeEmbedder();
    const error = await failure(createEmbedTexts(embedder)({ model: 'text-embedding-3-small', input: 'a' }));
    expect(error).toMatchObject({ code: 'MODEL.NOT_FOUND', httpStatus: 404 });
    expect(embedder.calls).toEqual([]);
  });

  it.each([
    ['an empty list', [] as string[], 'input', /must not be empty/],
    ['an empty string', '', 'input', /must not be empty/],
    ['an empty item', ['a', ''], 'input.1', /must not be empty/],
    ['too many items', Array.from({ length: maxEmbeddingInputs + 1 }, () => 'a'), 'input', /at most 2048 items/],
    [
      'a string too long',
      `word${' word'.repeat(maxEmbeddingInputTokens)}`,
      'input',
      /at most 8192 tokens \(has at least 8193\)/,
    ],
    ['an item too long', ['a', `word${' word'.repeat(maxEmbeddingInputTokens)}`], 'input.1', /at most 8192 tokens/],
  ])('rejects %s naming the field', async (_case, input, field, message) => {
    const embedder = fakeEmbedder();
    const error = await failure(createEmbedTexts(embedder)({ model: 'fake-3d', input }));
    expect(error).toMatchObject({ httpStatus: 400, grpcCode: GrpcCode.INVALID_ARGUMENT });
    expect(error.violations).toEqual([{ field, message: expect.stringMatching(message) }]);
    expect(embedder.calls).toEqual([]);
  });

  it('accepts an input of exactly the token limit', async () => {
    const input = `word${' word'.repeat(maxEmbeddingInputTokens - 1)}`;
    expect(countTokens(input)).toBe(maxEmbeddingInputTokens);
    await expect(createEmbedTexts(fakeEmbedder())({ model: 'fake-3d', input })).resolves.toMatchObject({
      promptTokens: countTokens(input),
    });
  });

  it('counts a maximum-size request of hostile inputs in well under a second per megabyte', async () => {
    // One word of 100,000 letters took 35 s to count (BPE is quadratic in a word's length), and a
    // request of such inputs blocked the gateway for minutes. Now each is refused quickly.
    const inputs = [
      'a'.repeat(250_000),
      '漢'.repeat(100_000),
      '='.repeat(200_000),
      ' '.repeat(200_000),
      Array.from({ length: 50_000 }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7919) % 20_000))).join(''),
    ];
    const embedder = fakeEmbedder();
    const startedAt = performance.now();
    const error = await failure(createEmbedTexts(embedder)({ model: 'fake-3d', input: inputs }));
    expect(performance.now() - startedAt).toBeLessThan(2_000);
    // 200,000 spaces are few tokens (runs of spaces merge); the others are over the limit.
    expect(error.violations.map((violation) => violation.field)).toEqual(['input.0', 'input.1', 'input.4']);
    expect(embedder.calls).toEqual([]);
  });

  it('refuses other dimensions than the embedder produces', async () => {
    const error = await failure(createEmbedTexts(fakeEmbedder())({ model: 'fake-3d', input: 'a', dimensions: 2 }));
    expect(error.violations).toEqual([{ field: 'dimensions', message: expect.stringMatching(/3-dimensional/) }]);
  });

  it('turns an embedder that cannot answer now into a retryable 503 that does not show its address', async () => {
    const embedder = fakeEmbedder(async () => {
      throw new TextError(TextErrorCode.EmbeddingTimeout, 'embedding request to http://tei.internal:8080 timed out', {
        retryable: true,
      });
    });
    const error = await failure(createEmbedTexts(embedder)({ model: 'fake-3d', input: 'a' }));
    expect(error).toMatchObject({
      code: 'DEPENDENCY.UNAVAILABLE',
      httpStatus: 503,
      grpcCode: GrpcCode.UNAVAILABLE,
      retryable: true,
      detail: 'embedder unavailable (EMBEDDING.TIMEOUT)',
    });
    expect(error.message).toContain('tei.internal');
  });

  it('turns a refusal or an answer out of contract into a 502', async () => {
    const refusing = fakeEmbedder(async () => {
      throw new TextError(TextErrorCode.EmbeddingRequestFailed, 'HTTP 400: bad model');
    });
    expect(await failure(createEmbedTexts(refusing)({ model: 'fake-3d', input: 'a' }))).toMatchObject({
      code: 'DEPENDENCY.FAILED',
      httpStatus: 502,
      retryable: false,
      detail: 'embedder failed (EMBEDDING.REQUEST_FAILED)',
    });
    const short = fakeEmbedder(async (texts) => texts.map(() => [1, 2]));
    expect(await failure(createEmbedTexts(short)({ model: 'fake-3d', input: ['a', 'b'] }))).toMatchObject({
      code: 'DEPENDENCY.FAILED',
      httpStatus: 502,
    });
    const missing = fakeEmbedder(async () => [[1, 2, 3]]);
    expect(await failure(createEmbedTexts(missing)({ model: 'fake-3d', input: ['a', 'b'] }))).toMatchObject({
      httpStatus: 502,
    });
  });

  it('keeps a KeelError as it is', () => {
    const keel = embedderFailure(new TextError(TextErrorCode.EmbeddingTimeout, 'slow', { retryable: true }));
    expect(embedderFailure(keel)).toBe(keel);
  });
});
