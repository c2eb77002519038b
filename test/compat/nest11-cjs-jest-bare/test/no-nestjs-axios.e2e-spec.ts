// Beside nest11-cjs-jest's own tests, which compat.spec.ts copies in: the same app, without @nestjs/axios.
it('is an app without @nestjs/axios, and installing nestjs-loops did not add one', () => {
  expect(() => require.resolve('@nestjs/axios')).toThrow(/Cannot find module/);
});
