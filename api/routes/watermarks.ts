import { Router } from 'express';
import { jobWatermarks, resetJobWatermarks } from '../../client/watermarks';
import { resource } from '../http';

/** GET /watermarks/:job and POST /watermarks/:job/reset: the control store's view of an incremental job. */
export function watermarksRouter(): Router {
  const router = Router();
  resource(router, '/watermarks/:job', {
    get: async (req, res) => {
      res.json(await jobWatermarks(String(req.params.job)));
    },
  });
  resource(router, '/watermarks/:job/reset', {
    post: async (req, res) => {
      res.json(await resetJobWatermarks(String(req.params.job)));
    },
  });
  return router;
}
