import type { AdmissionTable } from './types';

export const deploymentAdmission: AdmissionTable = {};
