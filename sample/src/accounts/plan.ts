export const PLANS = ['starter', 'pro', 'team'] as const;

export type Plan = (typeof PLANS)[number];
