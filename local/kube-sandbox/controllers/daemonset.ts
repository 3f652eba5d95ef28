import type { Controller } from '../runtime';

export const daemonSetController: Controller = {
  name: 'daemonset',
  start: () => () => undefined,
};
