/**
 * `/v1/answers` with `stream: true`, as server-sent events:
 *  - `event: delta` `{ "text": ... }`: the answer's text as it is released (a provider model's
 *    through the held-back window: checked, redacted; the built-in model's whole answer, checked
 *    before the first event, word by word);
 *  - `event: answer`: the whole response, as the JSON answer would be (citations, usage, policy);
 *  - `event: error` `{ "code", "message" }` instead, when the output policy blocked the answer
 *    (`POLICY.BLOCKED_OUTPUT`: nothing more of it is sent) or the model or policy failed after the
 *    first event. Failures before it are plain problem+json responses.
 */
import { isKeelError } from '@keel/platform';
import type { Response } from 'express';
import type { Answer } from '../answering/answer.js';
import type { AnswerStreamSink } from '../answering/grounded-stream.js';
import { type GuardrailOutcome, guardrailHeadersOf } from '../guardrails/guardrail-fields.js';

export async function streamAnswer(
  res: Response,
  answerWith: (sink: AnswerStreamSink) => Promise<Answer>,
  responseOf: (answer: Answer) => object,
): Promise<void> {
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  let opened = false;
  let live = false;
  const send = (event: string, data: object) => {
    if (!res.destroyed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const open = (guardrails: GuardrailOutcome) => {
    if (opened) return;
    opened = true;
    res.status(200);
    res.set(guardrailHeadersOf(guardrails));
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
  };
  const sink: AnswerStreamSink = {
    open(guardrails) {
      live = true;
      open(guardrails);
    },
    text: (text) => send('delta', { text }),
    get closed() {
      return res.destroyed || abort.signal.aborted;
    },
    signal: abort.signal,
  };
  let answer: Answer;
  try {
    answer = await answerWith(sink);
  } catch (error) {
    if (!opened) throw error;
    send('error', {
      code: isKeelError(error) ? error.code : 'INTERNAL',
      message: isKeelError(error) ? (error.detail ?? error.message) : 'the answer failed; the logs have the details',
    });
    res.end();
    return;
  }
  if (live && answer.finishReason === 'content_filter') {
    // Released text cannot be recalled: the stream ends here, without the rest or the answer.
    send('error', { code: 'POLICY.BLOCKED_OUTPUT', message: 'The answer was blocked by the content policy.' });
    res.end();
    return;
  }
  if (!live) {
    open(answer);
    for (const text of answer.answer.match(/\S+\s*|\s+/g) ?? []) send('delta', { text });
  }
  send('answer', responseOf(answer));
  res.end();
}
