import { useEffect, useRef } from 'preact/hooks';
import { Layout } from './components/Layout';
import { AdminsPage } from './pages/Admins';
import { AuditPage } from './pages/Audit';
import { Dashboard } from './pages/Dashboard';
import { Login } from './pages/Login';
import { PlanForm } from './pages/PlanForm';
import { PlansPage } from './pages/Plans';
import { UserPage } from './pages/User';
import { UsersPage } from './pages/Users';
import { currentPath, navigate, type Route, useRoute } from './router';
import { reloadAdmin, type Session, signedOut, useSession } from './session';
import { clearError, clearToasts, showError } from './toast';

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'dashboard':
      return <Dashboard />;
    case 'users':
      return <UsersPage />;
    case 'user':
      return <UserPage key={route.id} id={route.id} />;
    case 'plans':
      return <PlansPage />;
    case 'plan':
      return <PlanForm key={route.id ?? 'new'} id={route.id} />;
    case 'admins':
      return <AdminsPage />;
    case 'audit':
      return <AuditPage />;
    default:
      return (
        <>
          <h1 tabIndex={-1}>Page not found</h1>
          <p>
            There is no such page. <a href="#/">Go to the dashboard</a>.
          </p>
        </>
      );
  }
}

/** Signed out: the sign-in page, whatever the URL (it is kept, to go there after sign-in). */
export function App() {
  const { route, visit } = useRoute();
  const session: Session | null = useSession();
  const after = useRef<string>('/');

  // a reload keeps the session of this tab: check it and read the admin's permissions as they are now
  useEffect(() => {
    if (session) reloadAdmin().catch(showError);
  }, []);

  useEffect(() => {
    if (!session && route.page !== 'login') {
      // back to this page after sign-in, unless the admin signed out (the next one starts at the dashboard)
      after.current = signedOut() ? '/' : currentPath();
      navigate('/login');
    } else if (session && route.page === 'login') {
      navigate(after.current);
      after.current = '/';
    }
  }, [session, route.page]);

  // a session ended: nothing of it stays on screen for the next one
  useEffect(() => {
    if (!session) clearToasts();
  }, [session === null]);

  // a new page: the last page's error goes, and focus moves to its heading (keyboard and screen-reader users start there)
  useEffect(() => {
    clearError();
    const h1 = document.querySelector<HTMLElement>('main h1');
    h1?.focus({ preventScroll: false });
    document.title = `${h1?.textContent ?? 'SocioX'} · SocioX admin console`;
  }, [route, session === null]);

  if (!session) {
    return <Login />;
  }
  return (
    <Layout session={session} route={route}>
      <Page key={visit} route={route} />
    </Layout>
  );
}
