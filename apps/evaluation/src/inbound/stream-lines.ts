/**
 * Streams lines to an HTTP response as they are produced, waiting for the socket to drain, so a
 * slow client holds back the producer instead of filling memory. A failure before the first line
 * is an ordinary error (problem+json); after it the status is sent, so the response is cut off
 * (the client sees an incomplete body) rather than ending as if the export were whole.
 */
import { once } from 'node:events';
import type { Response } from 'express';

export async function streamLines(
  res: Response,
  lines: AsyncGenerator<string>,
  contentType: string,
  filename: string,
): Promise<void> {
  let started = false;
  try {
    for await (const line of lines) {
      if (res.destroyed) break;
      if (!started) {
        // attachment() sets the type from the file's extension: the stream's own type goes after.
        res.status(200).attachment(filename).type(contentType);
        started = true;
      }
      if (!res.write(line)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
    }
  } catch (error) {
    if (!started) throw error;
    res.destroy(error as Error);
    return;
  } finally {
    // Stops the page reads when the client went away.
    await lines.return(undefined);
  }
  if (!started) res.status(200).attachment(filename).type(contentType);
  res.end();
}
