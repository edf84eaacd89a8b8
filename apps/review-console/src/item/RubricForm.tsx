import type { Rubric, RubricAnswers } from '../api/types';

interface Props {
  rubric: Rubric | null;
  value: RubricAnswers;
  onChange: (value: RubricAnswers) => void;
  comment: string;
  onCommentChange: (comment: string) => void;
  /** 400 messages by field (`rubric.scores.accuracy`) from the last decision attempt. */
  errors: Record<string, string>;
}

function without<T>(record: Record<string, T> | undefined, key: string): Record<string, T> {
  const { [key]: _removed, ...rest } = record ?? {};
  return rest;
}

/** The queue's rubric (scores, categories, notes) and the decision's comment: sent with the decision. */
export function RubricForm({ rubric, value, onChange, comment, onCommentChange, errors }: Props) {
  const errorOf = (field: string) =>
    errors[field] ? (
      <span className="field-error" id={`${field}-error`}>
        {errors[field]}
      </span>
    ) : null;

  return (
    <section aria-labelledby="rubric-title" className="card rubric">
      <h2 id="rubric-title">Rubric</h2>
      {!rubric || (rubric.scores.length === 0 && rubric.categories.length === 0 && !rubric.notes) ? (
        <p className="muted small">This queue has no rubric.</p>
      ) : null}
      {rubric?.scores.map((score) => {
        const field = `rubric.scores.${score.key}`;
        const current = value.scores?.[score.key];
        return (
          <div className="field" key={score.key}>
            <label htmlFor={field}>
              {score.label}{' '}
              <span className="muted small">
                ({score.min}–{score.max})
              </span>
            </label>
            <input
              id={field}
              type="number"
              inputMode="decimal"
              min={score.min}
              max={score.max}
              step="any"
              value={current ?? ''}
              aria-invalid={errors[field] ? true : undefined}
              aria-describedby={errors[field] ? `${field}-error` : undefined}
              onChange={(event) => {
                const text = event.target.value;
                const scores =
                  text === '' ? without(value.scores, score.key) : { ...value.scores, [score.key]: Number(text) };
                onChange({ ...value, scores });
              }}
            />
            {errorOf(field)}
          </div>
        );
      })}
      {rubric?.categories.map((category) => {
        const field = `rubric.categories.${category.key}`;
        return (
          <div className="field" key={category.key}>
            <label htmlFor={field}>{category.label}</label>
            <select
              id={field}
              value={value.categories?.[category.key] ?? ''}
              aria-invalid={errors[field] ? true : undefined}
              aria-describedby={errors[field] ? `${field}-error` : undefined}
              onChange={(event) => {
                const chosen = event.target.value;
                const categories =
                  chosen === ''
                    ? without(value.categories, category.key)
                    : { ...value.categories, [category.key]: chosen };
                onChange({ ...value, categories });
              }}
            >
              <option value="">Not set</option>
              {category.options.map((option) => (
                <option key={option} value={option}>
                  {option}
                </option>
              ))}
            </select>
            {errorOf(field)}
          </div>
        );
      })}
      {rubric?.notes ? (
        <div className="field">
          <label htmlFor="rubric.notes">Rubric notes</label>
          <textarea
            id="rubric.notes"
            rows={2}
            maxLength={8192}
            value={value.notes ?? ''}
            onChange={(event) => {
              const notes = event.target.value;
              const { notes: _old, ...rest } = value;
              onChange(notes === '' ? rest : { ...rest, notes });
            }}
          />
          {errorOf('rubric.notes')}
        </div>
      ) : null}
      <div className="field">
        <label htmlFor="decision-comment">Decision comment</label>
        <textarea
          id="decision-comment"
          rows={2}
          maxLength={8192}
          value={comment}
          onChange={(event) => onCommentChange(event.target.value)}
        />
        {errorOf('comment')}
      </div>
    </section>
  );
}

/** The answers worth sending: none when the reviewer filled in nothing. */
export function rubricToSend(value: RubricAnswers): RubricAnswers | undefined {
  const scores = value.scores && Object.keys(value.scores).length > 0 ? value.scores : undefined;
  const categories = value.categories && Object.keys(value.categories).length > 0 ? value.categories : undefined;
  const notes = value.notes?.trim() ? value.notes : undefined;
  if (!scores && !categories && !notes) return undefined;
  return { ...(scores ? { scores } : {}), ...(categories ? { categories } : {}), ...(notes ? { notes } : {}) };
}
