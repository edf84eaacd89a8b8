import type { Request, RequestHandler, Response } from 'express';

/**
 * Wraps an async handler so that a rejection reaches the problem error handler. Express 5 does
 * this for returned promises already; the wrapper keeps the intent explicit and the handler's
 * return type honest (`Promise<void>`, no accidental `res` returned).
 */
export function asyncRoute(handler: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return (req, res, next) => {
    try {
      handler(req, res).catch(next);
    } catch (error) {
      next(error);
    }
  };
}
