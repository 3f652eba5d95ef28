import type { Controller } from '../runtime';

export const jobController: Controller = {
  name: 'job',
  start: () => () => undefined,
};
