export default () => ({
  port: parseInt(process.env.PORT, 10) || 3000,
  mail: { from: process.env.MAIL_FROM || 'noreply@example.com' },
});
