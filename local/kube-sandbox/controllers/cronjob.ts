import type { Controller } from '../runtime';

export const cronJobController: Controller = {
  name: 'cronjob',
  start: () => () => undefined,
};
