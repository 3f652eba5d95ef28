import type { Controller } from '../runtime';

export const statefulSetController: Controller = {
  name: 'statefulset',
  start: () => () => undefined,
};
