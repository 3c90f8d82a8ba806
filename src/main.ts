import { systemClock } from './clock.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { openDatabase } from './db/index.js';
import { migrate } from './db/migrate.js';
import { startBanner, startFields } from './first-run.js';
import { compilePendingInBackground } from './http/lazy-compile.js';
import { createLogger, prettyLogs } from './logger.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Refusing to start: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  // readable lines in development on a terminal, JSON otherwise (src/logger.ts)
  const logger = await createLogger(config);
  // the database opens (the embedded one compiles its WebAssembly) while the rest of the code loads
  const opening = openDatabase(config);
  const [{ buildApp }, { buildServices }, { LogMailer, SmtpMailer }] = await Promise.all([
    import('./app.js'),
    import('./services.js'),
    import('./modules/email/mailer.js'),
  ]);
  const db = await opening;
  const applied = await migrate(db);
  logger.info({ database: db.kind, applied }, 'database ready');

  const mailer = config.smtpUrl
    ? new SmtpMailer(config.smtpUrl, config.mailFrom)
    : new LogMailer(logger.child({ component: 'mailer' }), config.nodeEnv !== 'production');
  if (!config.smtpUrl) logger.warn('SMTP_URL is unset: emails are kept in the outbox and written to the log');

  const app = await buildApp(buildServices({ config, db, mailer, clock: systemClock, log: logger }));
  if (config.superadminEmail && config.superadminPassword) {
    const created = await app.services.admins.bootstrapSuperadmin(config.superadminEmail, config.superadminPassword);
    if (created) logger.info({ admin: created.email }, 'created the first superadmin from SUPERADMIN_EMAIL');
  }
  await app.listen({ port: config.port, host: config.host });
  const metricsAddress = await app.listenMetrics();
  app.worker.start();
  // the routes' validators and serializers not used yet, compiled between requests (src/http/lazy-compile.ts)
  void compilePendingInBackground((err) => logger.error({ err }, 'a route schema does not compile'));

  // where everything is, and how to make the first superadmin when there is none
  const noSuperadmin = await app.services.admins.superadminEmails(db).then(
    (emails) => emails.length === 0,
    () => null,
  );
  const start = {
    address: app.server.address(),
    consoleDir: config.consoleDir,
    noSuperadmin,
    metrics: metricsAddress ?? (config.metrics.token ? ('public' as const) : null),
  };
  if (prettyLogs(config)) process.stdout.write(startBanner(start));
  else logger.info(startFields(start), 'listening');

  let stopping = false;
  let endDelay = () => {};
  const shutdown = async (signal: string) => {
    if (stopping) {
      endDelay(); // a second signal stops waiting for the balancer
      return;
    }
    stopping = true;
    app.beginShutdown();
    // SIGTERM (systemd, a rolling restart): /readyz says 503 for SHUTDOWN_DELAY_MS while requests are
    // still served, so the balancer stops sending new ones before the listener closes. Ctrl-C stops now.
    if (signal === 'SIGTERM' && config.shutdownDelayMs > 0) {
      logger.info({ signal, delayMs: config.shutdownDelayMs }, 'shutting down: /readyz answers 503; still serving until the delay ends');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, config.shutdownDelayMs);
        endDelay = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    logger.info({ signal }, 'shutting down: finishing in-flight requests and the current job');
    const force = setTimeout(() => {
      logger.error('shutdown took longer than 25 s, exiting');
      process.exit(1);
    }, 25_000);
    force.unref();
    // a keep-alive connection whose request finishes during shutdown would hold server.close()
    // open until its keep-alive timeout: close connections as soon as they fall idle
    const idleCloser = setInterval(() => app.server.closeIdleConnections(), 100);
    idleCloser.unref();
    try {
      await app.close(); // stops accepting, waits for in-flight requests, stops the worker (onClose)
      clearInterval(idleCloser);
      await mailer.close();
      await db.close();
      logger.info('stopped');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  console.error('Failed to start:', err);
  process.exit(1);
});
