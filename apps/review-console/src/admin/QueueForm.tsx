import { type FormEvent, useId, useState } from 'react';
import type { ApiClient } from '../api/client';
import type { Queue, QueueInput, Rubric } from '../api/types';
import { reasonLabel, reviewReasons } from '../lead/selection';
import { parseList, problemText } from './AccountsAdmin';

/** As human-review bounds them (queues/review-queue.ts QUEUE_LIMITS). */
export const QUEUE_FORM_LIMITS = {
  idChars: 64,
  nameChars: 200,
  descriptionChars: 2_000,
  maxOrder: 1_000_000,
  maxSlaMinutes: 525_600,
  maxReviewersPerItem: 5,
  rubricScores: 20,
  rubricCategories: 20,
  rubricKeyChars: 64,
  rubricLabelChars: 200,
} as const;

const idPattern = /^[a-z0-9][a-z0-9._-]*$/;

/** The form's state: numbers as typed, lists as comma-separated text. */
interface Draft {
  id: string;
  name: string;
  description: string;
  reasons: string[];
  maxScore: string;
  requestedBy: string;
  order: string;
  basePriority: string;
  slaMinutes: string;
  reviewersPerItem: string;
  scores: { key: string; label: string; min: string; max: string }[];
  categories: { key: string; label: string; options: string }[];
  notes: boolean;
}

export function draftOf(queue?: Queue): Draft {
  return {
    id: queue?.id ?? '',
    name: queue?.name ?? '',
    description: queue?.description ?? '',
    reasons: queue?.match.reasons ?? [],
    maxScore: queue?.match.maxScore === undefined ? '' : String(queue.match.maxScore),
    requestedBy: (queue?.match.requestedBy ?? []).join(', '),
    order: String(queue?.order ?? 100),
    basePriority: String(queue?.basePriority ?? 50),
    slaMinutes: String(queue?.slaMinutes ?? 24 * 60),
    reviewersPerItem: String(queue?.reviewersPerItem ?? 1),
    scores: (queue?.rubric.scores ?? []).map((score) => ({
      key: score.key,
      label: score.label,
      min: String(score.min),
      max: String(score.max),
    })),
    categories: (queue?.rubric.categories ?? []).map((category) => ({
      key: category.key,
      label: category.label,
      options: category.options.join(', '),
    })),
    notes: queue?.rubric.notes ?? false,
  };
}

function wholeNumber(text: string, name: string, min: number, max: number, problems: string[]): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    problems.push(`${name}: a whole number from ${min} to ${max}`);
  }
  return value;
}

/** The draft as the API's queue, or the list of what is wrong with it (each naming the field). */
export function queueInputOf(draft: Draft): { queue: QueueInput } | { problems: string[] } {
  const problems: string[] = [];
  const limits = QUEUE_FORM_LIMITS;
  const id = draft.id.trim();
  if (!idPattern.test(id) || id.length > limits.idChars) {
    problems.push(`Queue id: 1-${limits.idChars} characters of a-z, 0-9 and . _ - (starting with a letter or digit)`);
  }
  const name = draft.name.trim();
  if (!name || name.length > limits.nameChars) problems.push(`Name: 1-${limits.nameChars} characters`);
  const order = wholeNumber(draft.order, 'Order', 0, limits.maxOrder, problems);
  const basePriority = wholeNumber(draft.basePriority, 'Base priority', 0, 100, problems);
  const slaMinutes = wholeNumber(draft.slaMinutes, 'SLA minutes', 1, limits.maxSlaMinutes, problems);
  const reviewersPerItem = wholeNumber(
    draft.reviewersPerItem,
    'Reviewers per item',
    1,
    limits.maxReviewersPerItem,
    problems,
  );
  let maxScore: number | undefined;
  if (draft.maxScore.trim() !== '') {
    maxScore = Number(draft.maxScore);
    if (!Number.isFinite(maxScore)) problems.push('Maximum score: a number');
  }
  const keys = new Set<string>();
  const rubric: Rubric = { scores: [], categories: [], notes: draft.notes };
  draft.scores.forEach((score, index) => {
    const label = `Score ${index + 1}`;
    const key = score.key.trim();
    if (!key || key.length > limits.rubricKeyChars)
      problems.push(`${label} key: 1-${limits.rubricKeyChars} characters`);
    else if (keys.has(key)) problems.push(`${label} key: "${key}" is used twice`);
    keys.add(key);
    const min = Number(score.min);
    const max = Number(score.max);
    if (score.min.trim() === '' || score.max.trim() === '' || !Number.isFinite(min) || !Number.isFinite(max)) {
      problems.push(`${label}: minimum and maximum are numbers`);
    } else if (min >= max) problems.push(`${label}: the minimum must be below the maximum`);
    rubric.scores.push({ key, label: score.label.trim() || key, min, max });
  });
  draft.categories.forEach((category, index) => {
    const label = `Category ${index + 1}`;
    const key = category.key.trim();
    if (!key || key.length > limits.rubricKeyChars)
      problems.push(`${label} key: 1-${limits.rubricKeyChars} characters`);
    else if (keys.has(key)) problems.push(`${label} key: "${key}" is used twice`);
    keys.add(key);
    const options = parseList(category.options);
    if (options.length < 2) problems.push(`${label} options: at least two, comma-separated`);
    rubric.categories.push({ key, label: category.label.trim() || key, options });
  });
  if (problems.length > 0) return { problems };
  const requestedBy = parseList(draft.requestedBy);
  return {
    queue: {
      id,
      name,
      description: draft.description.trim(),
      match: {
        ...(draft.reasons.length > 0 ? { reasons: draft.reasons } : {}),
        ...(maxScore === undefined ? {} : { maxScore }),
        ...(requestedBy.length > 0 ? { requestedBy } : {}),
      },
      order,
      basePriority,
      slaMinutes,
      reviewersPerItem,
      rubric,
    },
  };
}

/**
 * Creates a queue or edits one: its routing match (reasons, a score ceiling, the requesting
 * service), order among queues, base priority, SLA, reviewers per item, and the rubric reviewers
 * fill in (scores with a range, categories with options, free-text notes).
 */
export function QueueForm({
  api,
  queue,
  onSaved,
  onCancel,
}: {
  api: ApiClient;
  /** The queue to edit; none to create one. */
  queue?: Queue;
  onSaved: (queue: Queue) => void;
  onCancel: () => void;
}) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(queue));
  const [problems, setProblems] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const base = useId();
  const field = (name: string) => `${base}-${name}`;
  const editing = queue !== undefined;
  const isDefault = queue?.id === 'default';
  const set = (changes: Partial<Draft>) => setDraft((current) => ({ ...current, ...changes }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = queueInputOf(draft);
    if ('problems' in result) {
      setProblems(result.problems);
      return;
    }
    setBusy(true);
    setProblems([]);
    try {
      onSaved(editing ? await api.updateQueue(queue.id, result.queue) : await api.createQueue(result.queue));
    } catch (reason) {
      setProblems([problemText(reason)]);
    } finally {
      setBusy(false);
    }
  };

  const numberField = (name: keyof Draft, label: string, min: number, max: number, hint?: string) => (
    <>
      <label htmlFor={field(name)}>{label}</label>
      <input
        id={field(name)}
        type="number"
        min={min}
        max={max}
        step={1}
        required
        value={draft[name] as string}
        onChange={(event) => set({ [name]: event.target.value } as Partial<Draft>)}
        {...(hint ? { 'aria-describedby': `${field(name)}-hint` } : {})}
      />
      {hint && (
        <small id={`${field(name)}-hint`} className="hint">
          {hint}
        </small>
      )}
    </>
  );

  return (
    <form aria-labelledby={field('title')} className="card queue-form" onSubmit={submit}>
      <h3 id={field('title')}>{editing ? `Edit queue ${queue.name}` : 'New queue'}</h3>
      <label htmlFor={field('id')}>Queue id</label>
      <input
        id={field('id')}
        required
        maxLength={QUEUE_FORM_LIMITS.idChars}
        readOnly={editing}
        value={draft.id}
        onChange={(event) => set({ id: event.target.value })}
      />
      <label htmlFor={field('name')}>Name</label>
      <input
        id={field('name')}
        required
        maxLength={QUEUE_FORM_LIMITS.nameChars}
        value={draft.name}
        onChange={(event) => set({ name: event.target.value })}
      />
      <label htmlFor={field('description')}>Description</label>
      <textarea
        id={field('description')}
        maxLength={QUEUE_FORM_LIMITS.descriptionChars}
        value={draft.description}
        onChange={(event) => set({ description: event.target.value })}
      />

      <fieldset disabled={isDefault}>
        <legend>Routing match {isDefault ? '(the default queue takes every item no other queue takes)' : ''}</legend>
        <fieldset className="inline">
          <legend>Reasons</legend>
          {reviewReasons.map((reason) => (
            <label key={reason} htmlFor={field(`reason-${reason}`)}>
              <input
                id={field(`reason-${reason}`)}
                type="checkbox"
                checked={draft.reasons.includes(reason)}
                onChange={(event) =>
                  set({
                    reasons: event.target.checked
                      ? [...draft.reasons, reason]
                      : draft.reasons.filter((held) => held !== reason),
                  })
                }
              />
              {reasonLabel(reason)}
            </label>
          ))}
        </fieldset>
        <label htmlFor={field('maxScore')}>Maximum score</label>
        <input
          id={field('maxScore')}
          type="number"
          step="any"
          value={draft.maxScore}
          onChange={(event) => set({ maxScore: event.target.value })}
        />
        <label htmlFor={field('requestedBy')}>Requested by (comma-separated services)</label>
        <input
          id={field('requestedBy')}
          placeholder="evaluation, policy"
          value={draft.requestedBy}
          onChange={(event) => set({ requestedBy: event.target.value })}
        />
      </fieldset>

      {numberField('order', 'Order', 0, QUEUE_FORM_LIMITS.maxOrder, 'Routing tries queues by ascending order.')}
      {numberField('basePriority', 'Base priority', 0, 100, 'A breached SLA raises it by 10.')}
      {numberField('slaMinutes', 'SLA minutes', 1, QUEUE_FORM_LIMITS.maxSlaMinutes)}
      {numberField('reviewersPerItem', 'Reviewers per item', 1, QUEUE_FORM_LIMITS.maxReviewersPerItem)}

      <fieldset className="rubric">
        <legend>Rubric</legend>
        {draft.scores.map((score, index) => {
          const n = index + 1;
          const update = (changes: Partial<typeof score>) =>
            set({ scores: draft.scores.map((held, at) => (at === index ? { ...held, ...changes } : held)) });
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place and removed by position.
            <div key={index} className="rubric-row">
              <input
                aria-label={`Score ${n} key`}
                placeholder="key"
                maxLength={QUEUE_FORM_LIMITS.rubricKeyChars}
                value={score.key}
                onChange={(event) => update({ key: event.target.value })}
              />
              <input
                aria-label={`Score ${n} label`}
                placeholder="label"
                maxLength={QUEUE_FORM_LIMITS.rubricLabelChars}
                value={score.label}
                onChange={(event) => update({ label: event.target.value })}
              />
              <input
                aria-label={`Score ${n} minimum`}
                type="number"
                step="any"
                value={score.min}
                onChange={(event) => update({ min: event.target.value })}
              />
              <input
                aria-label={`Score ${n} maximum`}
                type="number"
                step="any"
                value={score.max}
                onChange={(event) => update({ max: event.target.value })}
              />
              <button type="button" onClick={() => set({ scores: draft.scores.filter((_, at) => at !== index) })}>
                Remove score {n}
              </button>
            </div>
          );
        })}
        <button
          type="button"
          disabled={draft.scores.length >= QUEUE_FORM_LIMITS.rubricScores}
          onClick={() => set({ scores: [...draft.scores, { key: '', label: '', min: '1', max: '5' }] })}
        >
          Add score
        </button>
        {draft.categories.map((category, index) => {
          const n = index + 1;
          const update = (changes: Partial<typeof category>) =>
            set({ categories: draft.categories.map((held, at) => (at === index ? { ...held, ...changes } : held)) });
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place and removed by position.
            <div key={index} className="rubric-row">
              <input
                aria-label={`Category ${n} key`}
                placeholder="key"
                maxLength={QUEUE_FORM_LIMITS.rubricKeyChars}
                value={category.key}
                onChange={(event) => update({ key: event.target.value })}
              />
              <input
                aria-label={`Category ${n} label`}
                placeholder="label"
                maxLength={QUEUE_FORM_LIMITS.rubricLabelChars}
                value={category.label}
                onChange={(event) => update({ label: event.target.value })}
              />
              <input
                aria-label={`Category ${n} options`}
                placeholder="option a, option b"
                value={category.options}
                onChange={(event) => update({ options: event.target.value })}
              />
              <button
                type="button"
                onClick={() => set({ categories: draft.categories.filter((_, at) => at !== index) })}
              >
                Remove category {n}
              </button>
            </div>
          );
        })}
        <button
          type="button"
          disabled={draft.categories.length >= QUEUE_FORM_LIMITS.rubricCategories}
          onClick={() => set({ categories: [...draft.categories, { key: '', label: '', options: '' }] })}
        >
          Add category
        </button>
        <label htmlFor={field('notes')}>
          <input
            id={field('notes')}
            type="checkbox"
            checked={draft.notes}
            onChange={(event) => set({ notes: event.target.checked })}
          />
          Free-text notes
        </label>
      </fieldset>

      {problems.length > 0 && (
        <ul role="alert" className="error">
          {problems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      )}
      <button type="submit" disabled={busy}>
        {editing ? 'Save queue' : 'Create queue'}
      </button>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}
