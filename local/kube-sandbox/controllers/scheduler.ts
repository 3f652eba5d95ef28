import type { Controller } from '../runtime';

export const schedulerController: Controller = {
  name: 'scheduler',
  start: () => () => undefined,
};
