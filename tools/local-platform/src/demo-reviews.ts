/**
 * Work for the reviewer console under `npm start`: customer questions asked through the real
 * gateway that the demo tenant's policy escalates to a person (its escalation topics
 * `legal-dispute` and `account-closure`, apps/policy/src/policies/policy-seeds.ts). Policy asks for
 * the review, the gateway's completion fills in the answer, evaluation scores it: every item in
 * the queue got there as any production item would, nothing is written around the services.
 *
 * The demo's extractive model answers only with sentences of the corpus, so evaluation never
 * scores an answer low on it (an off-corpus question is declined, which scores as grounded);
 * escalations are the demo's real source of review requests. Several of these answers are
 * plausible but wrong (asked about a contract, it quotes the extended warranty), which is what a
 * reviewer is for.
 *
 * Idempotent across restarts: a question is asked only when no open item of the demo tenant
 * holds it, so each start leaves one open item per question (decided ones are asked again, so the
 * console always has work) and never piles them up.
 */

export const demoReviewQuestions: readonly string[] = [
  'I want to cancel my contract. Can I still return the robot I bought last week?',
  'My lawyer says the battery died too early. How long is the battery warranty?',
  'Please delete my account. How do I wipe my data from the robot first?',
  'We are considering legal action because the robot scratched our floor. Who pays for the repair?',
  'Is there a lawsuit about robots overheating?',
  'If I close my account, do I get a refund for the accessories I returned?',
  'My attorney wants to know how the robot connects to Wi-Fi during setup.',
];

export interface DemoReviewsResult {
  /** Questions asked at this start (those without an open item). */
  asked: number;
  /** Demo questions with an open item once this start's items are queued. */
  open: number;
  /** Asked, but the tenant's policy did not escalate them (someone changed the demo policy). */
  notEscalated: string[];
}

interface ReviewPage {
  items: { question: string }[];
  nextCursor: string | null;
}

interface AnswerBody {
  policy?: { input?: { decision?: string }; output?: { decision?: string } };
}

const normalise = (question: string) => question.trim().replace(/\s+/g, ' ');

/** The questions of the tenant's open items (pending and claimed), following every cursor. */
async function openQuestions(humanReviewUrl: string, headers: Record<string, string>): Promise<Set<string>> {
  const questions = new Set<string>();
  let cursor: string | null = null;
  do {
    const query: string = `limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const response = await fetch(`${humanReviewUrl}/v1/reviews?${query}`, { headers });
    if (response.status !== 200) {
      throw new Error(`human-review did not list the demo queue: ${response.status} ${await response.text()}`);
    }
    const page = (await response.json()) as ReviewPage;
    for (const item of page.items) questions.add(normalise(item.question));
    cursor = page.nextCursor;
  } while (cursor);
  return questions;
}

/**
 * Asks the demo questions that have no open item through the gateway (one at a time: this runs
 * once at start, and sequential answers keep the queue in the order of the list), then waits until
 * their items are queued.
 */
export async function seedDemoReviews(
  urls: { gateway: string; humanReview: string },
  apiKey: string,
  options: { timeoutMs?: number; questions?: readonly string[] } = {},
): Promise<DemoReviewsResult> {
  const questions = (options.questions ?? demoReviewQuestions).map(normalise);
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  const open = await openQuestions(urls.humanReview, headers);
  const missing = questions.filter((question) => !open.has(question));
  const notEscalated: string[] = [];
  for (const question of missing) {
    const response = await fetch(`${urls.gateway}/v1/answers`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ question }),
    });
    if (response.status !== 200) {
      throw new Error(`the gateway did not answer a demo question: ${response.status} ${await response.text()}`);
    }
    const body = (await response.json()) as AnswerBody;
    const escalated = [body.policy?.input?.decision, body.policy?.output?.decision].includes('ESCALATE');
    if (!escalated) notEscalated.push(question);
  }

  const expected = questions.filter((question) => !notEscalated.includes(question));
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    const queued = await openQuestions(urls.humanReview, headers);
    const waiting = expected.filter((question) => !queued.has(question));
    if (waiting.length === 0) return { asked: missing.length, open: expected.length, notEscalated };
    if (Date.now() > deadline) {
      throw new Error(`demo review items not queued in time: ${waiting.length} of ${expected.length} missing`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
