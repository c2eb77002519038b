/**
 * The transactional emails the app sends, and the data variables each one's template uses. The IDs are those of
 * the emails in your Loops account (on each email's page); `LOOPS_WELCOME_EMAIL_ID` overrides this one, and the
 * local Loops-compatible server of `npm run sample` knows it under this ID.
 */
export const WelcomeEmail = {
  id: 'cmwelcome0sample0email000',
  dataVariables: ['firstName', 'plan'],
} as const;
