/** The stable codes of queue errors. */
import { type KeelError, notFound } from '@keel/platform';

export const QueueErrorCode = {
  notFound: 'QUEUE.NOT_FOUND',
  idTaken: 'QUEUE.ID_TAKEN',
  tooMany: 'QUEUE.LIMIT_REACHED',
  defaultUndeletable: 'QUEUE.DEFAULT_UNDELETABLE',
} as const;

/** Another tenant's queue is reported exactly like a missing one. */
export function queueNotFound(queueId: string): KeelError {
  return notFound(`queue ${queueId}`, QueueErrorCode.notFound);
}
