import type { ReportResult, StepEvent } from '../shared/contracts';
import { parseEnv, reportEnv } from '../shared/env';
import { perContainer } from '../shared/per-container';
import { evidenceFromEnv } from '../shared/wiring';
import { report, type ReportDeps } from './report';

const dependencies = perContainer<ReportDeps>(async () => {
  const env = parseEnv(reportEnv);
  return { evidence: (await evidenceFromEnv(env)).store, now: () => new Date() };
});

export const handler = async (event: StepEvent): Promise<ReportResult> => report(event, await dependencies());
