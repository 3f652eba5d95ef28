import type { KubeObject } from '../store';

/**
 * A named starting state of the sandbox. `objects` are created in order through the same
 * admission (defaults, validation) as API requests; controllers then take over, exactly as
 * if a user had applied them.
 */
export interface Scenario {
  name: string;
  /** One line for `eks-incident sandbox --help` and the docs. */
  description: string;
  /** The objects to create. `now` is the sandbox clock's time (ms), for back-dated history. */
  objects(now: number): KubeObject[];
}
