import type { ComponentChildren } from 'preact';
import { render } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import {
  type AdminHome,
  type AdminUser,
  createHome,
  createTeam,
  createUser,
  listTeams,
  listUsers,
  type Role,
  renameTeam,
  resetPassword,
  type SettingsInForce,
  searchHomes,
  settingsInForce,
  type Team,
  updateHome,
  updateUser,
} from './api.ts';
import { errorText } from './form.ts';
import { ta } from './strings.ts';

const ROLES = ['staff', 'admin', 'technician', 'citizen', 'relative'] as const;
const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
const SHOWN_HOMES = 50;
const TIMEZONES = ['Europe/Copenhagen', 'Atlantic/Faroe', 'America/Nuuk', 'UTC'];

/** the chosen role; the select offers only these, so anything else is the default's */
const roleOf = (value: string): Role => ROLES.find((r) => r === value) ?? 'staff';

const USER_LABELS = () => ({
  username: ta('username'),
  displayName: ta('displayName'),
  role: ta('role'),
  teamIds: ta('teams'),
  homeId: ta('homeId'),
  password: ta('startPassword'),
});
const HOME_LABELS = () => ({
  id: ta('homeIdNew'),
  label: ta('label'),
  teamId: ta('team'),
  timezone: ta('timezone'),
});

/**
 * The administrator's page: users (create, edit roles and teams, reset a password), teams (create,
 * rename), homes (search on the server, create, edit) and the settings in force, read-only.
 * Preact components; every list is keyed by id, so an item keeps its form, its message and its
 * focus while the list around it is read again.
 */
export class AdminPage {
  constructor(private readonly root: HTMLElement) {}

  start(): void {
    this.root.replaceChildren();
    render(<Administration />, this.root);
    this.root.querySelector<HTMLElement>('#page-title')?.focus();
  }

  /** unmounting ends the page's timers and makes late answers land nowhere */
  stop(): void {
    render(null, this.root);
  }
}

// ---- small parts

type Message = { kind: 'ok' | 'error'; text: string } | null;

/** A message line read out by screen readers: `role=alert` for errors, `status` for success. */
function MessageLine({ message }: { message: Message }) {
  return (
    <p
      class={message?.kind === 'error' ? 'form-message error' : 'form-message'}
      aria-live="polite"
      role={message ? (message.kind === 'error' ? 'alert' : 'status') : undefined}
    >
      {message?.text ?? ''}
    </p>
  );
}

interface FieldProps {
  label: string;
  name: string;
  value: string;
  onValue(value: string): void;
  type?: 'text' | 'password' | 'search';
  required?: boolean;
  autocomplete?: string;
  minLength?: number;
  inputRef?: { current: HTMLInputElement | null };
}

/** A labelled input; its id is unique on the page so every label points at its own field. */
function Field({ label, name, value, onValue, type = 'text', inputRef, ...rest }: FieldProps) {
  const id = useId();
  const common = {
    id,
    name,
    value,
    ref: inputRef,
    onInput: (e: { currentTarget: HTMLInputElement }) => onValue(e.currentTarget.value),
    ...rest,
  };
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {type === 'password' ? (
        <input type="password" {...common} />
      ) : type === 'search' ? (
        <input type="search" {...common} />
      ) : (
        <input type="text" {...common} />
      )}
    </div>
  );
}

interface ChoiceProps {
  label: string;
  name: string;
  value: string;
  options: ReadonlyArray<readonly [string, string]>;
  onValue(value: string): void;
}

function Choice({ label, name, value, options, onValue }: ChoiceProps) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} name={name} value={value} onChange={(e) => onValue(e.currentTarget.value)}>
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

/** One checkbox per team, in a fieldset with a legend. */
function TeamBoxes({
  teams,
  chosen,
  onChange,
}: {
  teams: readonly Team[];
  chosen: readonly string[];
  onChange(ids: string[]): void;
}) {
  const id = useId();
  return (
    <fieldset>
      <legend>{ta('teams')}</legend>
      {teams.length === 0
        ? ta('noTeams')
        : teams.map((team) => (
            <div class="check" key={team.id}>
              <input
                type="checkbox"
                id={`${id}-${team.id}`}
                value={team.id}
                checked={chosen.includes(team.id)}
                onChange={(e) =>
                  onChange(
                    e.currentTarget.checked ? [...chosen, team.id] : chosen.filter((t) => t !== team.id),
                  )
                }
              />
              <label for={`${id}-${team.id}`}>{`${team.name} (${team.id})`}</label>
            </div>
          ))}
    </fieldset>
  );
}

const roleOptions = () => ROLES.map((r) => [r, ta.of('role_', r)] as const);
const zoneOptions = (zones: readonly string[]) => zones.map((z) => [z, z] as const);

function Section({ id, title, children }: { id: string; title: string; children: ComponentChildren }) {
  return (
    <section aria-labelledby={id}>
      <h3 id={id}>{title}</h3>
      {children}
    </section>
  );
}

// ---- the page

function Administration() {
  const [teams, setTeams] = useState<Team[]>([]);
  const [users, setUsers] = useState<AdminUser[] | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const live = useRef(true);

  const refresh = async () => {
    try {
      const [t, u] = await Promise.all([listTeams(), listUsers()]);
      if (!live.current) return;
      setTeams(t);
      setUsers(u);
      setFailed(null);
    } catch (err) {
      if (live.current) setFailed(errorText(err));
    }
  };
  useEffect(() => {
    void refresh();
    return () => {
      live.current = false;
    };
  }, []);

  const replaceUser = (user: AdminUser) =>
    setUsers((list) => (list ?? []).map((u) => (u.id === user.id ? user : u)));
  const replaceTeam = (team: Team) => setTeams((list) => list.map((t) => (t.id === team.id ? team : t)));
  return (
    <div class="admin">
      <h2 id="page-title" tabIndex={-1} class="page-heading">
        {ta('adminTitle')}
      </h2>
      <p>{ta('adminIntro')}</p>
      <Section id="adm-users" title={ta('usersTitle')}>
        {failed !== null && (
          <p class="error" role="alert">
            {failed}
          </p>
        )}
        {users && <Users users={users} teams={teams} onSaved={replaceUser} onCreated={refresh} />}
      </Section>
      {users && <Teams teams={teams} onRenamed={replaceTeam} onCreated={refresh} />}
      {users && <Homes teams={teams} live={live} />}
      {users && <Settings teams={teams} live={live} />}
    </div>
  );
}

// ---- users

function Users({
  users,
  teams,
  onSaved,
  onCreated,
}: {
  users: readonly AdminUser[];
  teams: readonly Team[];
  onSaved(user: AdminUser): void;
  onCreated(): Promise<void>;
}) {
  return (
    <>
      <ul class="admin-list">
        {users.map((u) => (
          <UserItem key={u.id} user={u} teams={teams} onSaved={onSaved} />
        ))}
      </ul>
      <NewUserForm teams={teams} onCreated={onCreated} />
    </>
  );
}

const teamNames = (teams: readonly Team[], ids: readonly string[]) =>
  ids.map((id) => teams.find((t) => t.id === id)?.name ?? id).join(', ');

function UserItem({
  user,
  teams,
  onSaved,
}: {
  user: AdminUser;
  teams: readonly Team[];
  onSaved(user: AdminUser): void;
}) {
  const [editing, setEditing] = useState(false);
  const [message, setMessage] = useState<Message>(null);
  const editButton = useRef<HTMLButtonElement>(null);
  const close = () => {
    setEditing(false);
    // back to the button that opened the form, not to the top of the page
    requestAnimationFrame(() => editButton.current?.focus());
  };

  const reset = async () => {
    try {
      const { temporaryPassword } = await resetPassword(user.id);
      onSaved({ ...user, mustChangePassword: true });
      setMessage({
        kind: 'ok',
        text: ta('resetDone', { user: user.username, password: temporaryPassword }),
      });
    } catch (err) {
      setMessage({ kind: 'error', text: errorText(err) });
    }
  };

  if (editing)
    return (
      <li>
        <strong>{user.username}</strong>
        <UserEditForm
          user={user}
          teams={teams}
          message={message}
          onMessage={setMessage}
          onCancel={close}
          onSaved={(saved) => {
            onSaved(saved);
            setMessage({ kind: 'ok', text: ta('saved') });
            close();
          }}
        />
      </li>
    );
  return (
    <li>
      <strong>{user.displayName}</strong>
      {` (${user.username}) – ${ta.of('role_', user.role)}`}
      {user.teamIds.length ? ` – ${teamNames(teams, user.teamIds)}` : ''}
      {user.homeId ? ` – ${ta('homeOfUser')} ` : ''}
      {user.homeId ? <code>{user.homeId}</code> : ''}
      {user.mustChangePassword && <span class="badge"> {ta('mustChange')}</span>}
      <div class="actions">
        <button
          type="button"
          ref={editButton}
          aria-label={`${ta('edit')}: ${user.username}`}
          onClick={() => setEditing(true)}
        >
          {ta('edit')}
        </button>
        <button
          type="button"
          class="secondary"
          aria-label={`${ta('resetPassword')}: ${user.username}`}
          onClick={() => void reset()}
        >
          {ta('resetPassword')}
        </button>
      </div>
      <MessageLine message={message} />
    </li>
  );
}

function UserEditForm({
  user,
  teams,
  message,
  onMessage,
  onCancel,
  onSaved,
}: {
  user: AdminUser;
  teams: readonly Team[];
  message: Message;
  onMessage(message: Message): void;
  onCancel(): void;
  onSaved(user: AdminUser): void;
}) {
  const [displayName, setDisplayName] = useState(user.displayName);
  const [role, setRole] = useState<string>(user.role);
  const [teamIds, setTeamIds] = useState<string[]>(user.teamIds);
  const [homeId, setHomeId] = useState(user.homeId ?? '');
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);

  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      const { user: saved } = await updateUser(user.id, {
        displayName,
        role: roleOf(role),
        teamIds,
        homeId: homeId.trim() || null,
      });
      onSaved(saved);
    } catch (err) {
      onMessage({ kind: 'error', text: errorText(err, USER_LABELS()) });
    }
  };
  return (
    <form
      class="admin-form"
      aria-label={`${ta('edit')}: ${user.username}`}
      onSubmit={submit}
      onKeyDown={(e) => {
        if (e.key === 'Escape') onCancel();
      }}
    >
      <Field
        label={ta('displayName')}
        name="displayName"
        value={displayName}
        onValue={setDisplayName}
        required
        inputRef={first}
      />
      <Choice label={ta('role')} name="role" value={role} options={roleOptions()} onValue={setRole} />
      <TeamBoxes teams={teams} chosen={teamIds} onChange={setTeamIds} />
      <Field label={ta('homeId')} name="homeId" value={homeId} onValue={setHomeId} />
      <MessageLine message={message} />
      <div class="actions">
        <button type="submit">{ta('save')}</button>
        <button type="button" class="secondary" onClick={onCancel}>
          {ta('cancel')}
        </button>
      </div>
    </form>
  );
}

function NewUserForm({ teams, onCreated }: { teams: readonly Team[]; onCreated(): Promise<void> }) {
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [role, setRole] = useState('staff');
  const [teamIds, setTeamIds] = useState<string[]>([]);
  const [homeId, setHomeId] = useState('');
  const [password, setPassword] = useState('');
  const [mustChange, setMustChange] = useState(true);
  const [message, setMessage] = useState<Message>(null);
  const mustChangeId = useId();

  const submit = async (e: Event) => {
    e.preventDefault();
    const home = homeId.trim();
    try {
      await createUser({
        username: username.trim(),
        displayName: displayName.trim(),
        role: roleOf(role),
        teamIds,
        password,
        mustChangePassword: mustChange,
        ...(home ? { homeId: home } : {}),
      });
      for (const clear of [setUsername, setDisplayName, setHomeId, setPassword]) clear('');
      setTeamIds([]);
      setMessage({ kind: 'ok', text: ta('created') });
      await onCreated();
    } catch (err) {
      setMessage({ kind: 'error', text: errorText(err, USER_LABELS()) });
    }
  };
  return (
    <form class="admin-form" aria-labelledby="adm-new-user" noValidate onSubmit={submit}>
      <h4 id="adm-new-user">{ta('newUser')}</h4>
      <Field
        label={ta('username')}
        name="username"
        value={username}
        onValue={setUsername}
        required
        autocomplete="off"
      />
      <Field
        label={ta('displayName')}
        name="displayName"
        value={displayName}
        onValue={setDisplayName}
        required
        autocomplete="off"
      />
      <Choice label={ta('role')} name="role" value={role} options={roleOptions()} onValue={setRole} />
      <TeamBoxes teams={teams} chosen={teamIds} onChange={setTeamIds} />
      <Field label={ta('homeId')} name="homeId" value={homeId} onValue={setHomeId} autocomplete="off" />
      <Field
        label={ta('startPassword')}
        name="password"
        type="password"
        value={password}
        onValue={setPassword}
        autocomplete="new-password"
        required
        minLength={8}
      />
      <div class="check">
        <input
          type="checkbox"
          id={mustChangeId}
          checked={mustChange}
          onChange={(e) => setMustChange(e.currentTarget.checked)}
        />
        <label for={mustChangeId}>{ta('mustChangeFirst')}</label>
      </div>
      <MessageLine message={message} />
      <button type="submit">{ta('create')}</button>
    </form>
  );
}

// ---- teams

function Teams({
  teams,
  onRenamed,
  onCreated,
}: {
  teams: readonly Team[];
  onRenamed(team: Team): void;
  onCreated(): Promise<void>;
}) {
  return (
    <Section id="adm-teams" title={ta('teamsTitle')}>
      {teams.length ? (
        <ul class="admin-list">
          {teams.map((team) => (
            <TeamItem key={team.id} team={team} onRenamed={onRenamed} />
          ))}
        </ul>
      ) : (
        <p>{ta('noTeams')}</p>
      )}
      <NewTeamForm onCreated={onCreated} />
    </Section>
  );
}

function TeamItem({ team, onRenamed }: { team: Team; onRenamed(team: Team): void }) {
  const [name, setName] = useState(team.name);
  const [message, setMessage] = useState<Message>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      const { team: saved } = await renameTeam(team.id, name.trim());
      onRenamed(saved);
      setMessage({ kind: 'ok', text: ta('saved') });
    } catch (err) {
      setMessage({ kind: 'error', text: errorText(err, { name: ta('teamName') }) });
    }
  };
  return (
    <li>
      <form class="inline-form" onSubmit={submit}>
        <Field
          label={`${ta('teamName')}: ${team.name}`}
          name="name"
          value={name}
          onValue={setName}
          required
        />
        <button type="submit">{ta('rename')}</button>
        <MessageLine message={message} />
      </form>
    </li>
  );
}

function NewTeamForm({ onCreated }: { onCreated(): Promise<void> }) {
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [message, setMessage] = useState<Message>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      await createTeam(id.trim(), name.trim());
      setId('');
      setName('');
      setMessage({ kind: 'ok', text: ta('created') });
      await onCreated();
    } catch (err) {
      setMessage({ kind: 'error', text: errorText(err, { id: ta('teamId'), name: ta('teamName') }) });
    }
  };
  return (
    <form class="admin-form" aria-labelledby="adm-new-team" noValidate onSubmit={submit}>
      <h4 id="adm-new-team">{ta('newTeam')}</h4>
      <Field label={ta('teamId')} name="id" value={id} onValue={setId} required autocomplete="off" />
      <Field label={ta('teamName')} name="name" value={name} onValue={setName} required autocomplete="off" />
      <MessageLine message={message} />
      <button type="submit">{ta('create')}</button>
    </form>
  );
}

// ---- homes

const teamOptions = (teams: readonly Team[]) => teams.map((t) => [t.id, t.name] as const);

function Homes({ teams, live }: { teams: readonly Team[]; live: { current: boolean } }) {
  const [query, setQuery] = useState('');
  const [asked, setAsked] = useState('');
  const [homes, setHomes] = useState<AdminHome[]>([]);
  const [count, setCount] = useState('');
  const [reload, setReload] = useState(0);

  // the search waits for a pause in typing, then asks the server
  useEffect(() => {
    const timer = setTimeout(() => setAsked(query), 250);
    return () => clearTimeout(timer);
  }, [query]);
  useEffect(() => {
    let current = true;
    searchHomes(asked, SHOWN_HOMES)
      .then(({ homes, total }) => {
        if (!current || !live.current) return;
        setHomes(homes);
        setCount(ta('homeCount', { shown: homes.length, total }));
      })
      .catch((err: unknown) => {
        if (current && live.current) setCount(errorText(err));
      });
    return () => {
      current = false;
    };
  }, [asked, reload]);

  const saved = (home: AdminHome) => setHomes((list) => list.map((h) => (h.id === home.id ? home : h)));
  return (
    <Section id="adm-homes" title={ta('homesTitle')}>
      <Field
        label={ta('searchHomes')}
        name="q"
        type="search"
        value={query}
        onValue={setQuery}
        autocomplete="off"
      />
      <p class="muted" role="status">
        {count}
      </p>
      <ul class="admin-list">
        {homes.map((h) => (
          <HomeItem key={h.id} home={h} teams={teams} onSaved={saved} />
        ))}
      </ul>
      <NewHomeForm teams={teams} onCreated={() => setReload((n) => n + 1)} />
    </Section>
  );
}

function HomeItem({
  home,
  teams,
  onSaved,
}: {
  home: AdminHome;
  teams: readonly Team[];
  onSaved(home: AdminHome): void;
}) {
  const [editing, setEditing] = useState(false);
  const [message, setMessage] = useState<Message>(null);
  const editButton = useRef<HTMLButtonElement>(null);
  const close = () => {
    setEditing(false);
    requestAnimationFrame(() => editButton.current?.focus());
  };
  if (editing)
    return (
      <li>
        <strong>{home.id}</strong>
        <HomeEditForm
          home={home}
          teams={teams}
          message={message}
          onMessage={setMessage}
          onCancel={close}
          onSaved={(saved) => {
            onSaved(saved);
            setMessage({ kind: 'ok', text: ta('saved') });
            close();
          }}
        />
      </li>
    );
  const teamName = teams.find((t) => t.id === home.teamId)?.name ?? home.teamId;
  return (
    <li>
      <strong>{home.label}</strong>
      {` – ${teamName} – ${home.timezone} – ${ta('idLabel')} `}
      <code>{home.id}</code>
      <div class="actions">
        <button
          type="button"
          ref={editButton}
          aria-label={`${ta('edit')}: ${home.label}`}
          onClick={() => setEditing(true)}
        >
          {ta('edit')}
        </button>
      </div>
      <MessageLine message={message} />
    </li>
  );
}

function HomeEditForm({
  home,
  teams,
  message,
  onMessage,
  onCancel,
  onSaved,
}: {
  home: AdminHome;
  teams: readonly Team[];
  message: Message;
  onMessage(message: Message): void;
  onCancel(): void;
  onSaved(home: AdminHome): void;
}) {
  const [label, setLabel] = useState(home.label);
  const [teamId, setTeamId] = useState(home.teamId);
  const [timezone, setTimezone] = useState(home.timezone);
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);
  const zones = TIMEZONES.includes(home.timezone) ? TIMEZONES : [home.timezone, ...TIMEZONES];
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      const { home: saved } = await updateHome(home.id, { label: label.trim(), teamId, timezone });
      onSaved(saved);
    } catch (err) {
      onMessage({ kind: 'error', text: errorText(err, HOME_LABELS()) });
    }
  };
  return (
    <form
      class="admin-form"
      aria-label={`${ta('edit')}: ${home.label}`}
      onSubmit={submit}
      onKeyDown={(e) => {
        if (e.key === 'Escape') onCancel();
      }}
    >
      <Field label={ta('label')} name="label" value={label} onValue={setLabel} required inputRef={first} />
      <Choice
        label={ta('team')}
        name="teamId"
        value={teamId}
        options={teamOptions(teams)}
        onValue={setTeamId}
      />
      <Choice
        label={ta('timezone')}
        name="timezone"
        value={timezone}
        options={zoneOptions(zones)}
        onValue={setTimezone}
      />
      <MessageLine message={message} />
      <div class="actions">
        <button type="submit">{ta('save')}</button>
        <button type="button" class="secondary" onClick={onCancel}>
          {ta('cancel')}
        </button>
      </div>
    </form>
  );
}

function NewHomeForm({ teams, onCreated }: { teams: readonly Team[]; onCreated(): void }) {
  const [id, setId] = useState('');
  const [label, setLabel] = useState('');
  const [teamId, setTeamId] = useState(teams[0]?.id ?? '');
  const [timezone, setTimezone] = useState('Europe/Copenhagen');
  const [message, setMessage] = useState<Message>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      // the select shows the first team while none was chosen (there may have been none at first)
      const team = teams.some((t) => t.id === teamId) ? teamId : (teams[0]?.id ?? '');
      await createHome({ id: id.trim(), label: label.trim(), teamId: team, timezone });
      setId('');
      setLabel('');
      setMessage({ kind: 'ok', text: ta('created') });
      onCreated();
    } catch (err) {
      setMessage({ kind: 'error', text: errorText(err, HOME_LABELS()) });
    }
  };
  return (
    <form class="admin-form" aria-labelledby="adm-new-home" noValidate onSubmit={submit}>
      <h4 id="adm-new-home">{ta('newHome')}</h4>
      <Field label={ta('homeIdNew')} name="id" value={id} onValue={setId} required autocomplete="off" />
      <Field label={ta('label')} name="label" value={label} onValue={setLabel} required autocomplete="off" />
      <Choice
        label={ta('team')}
        name="teamId"
        value={teamId}
        options={teamOptions(teams)}
        onValue={setTeamId}
      />
      <Choice
        label={ta('timezone')}
        name="timezone"
        value={timezone}
        options={zoneOptions(TIMEZONES)}
        onValue={setTimezone}
      />
      <MessageLine message={message} />
      <button type="submit">{ta('create')}</button>
    </form>
  );
}

// ---- settings in force

function Settings({ teams, live }: { teams: readonly Team[]; live: { current: boolean } }) {
  const [settings, setSettings] = useState<SettingsInForce | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    settingsInForce()
      .then((s) => live.current && setSettings(s))
      .catch((err: unknown) => live.current && setFailed(errorText(err)));
  }, []);
  const yes = (v: boolean) => (v ? ta('configured') : ta('notConfigured'));
  const seconds = (n: number) => (n === 0 ? ta('never') : ta('seconds', { n }));
  const row = (term: string, value: string) => [
    <dt key={`t-${term}`}>{term}</dt>,
    <dd key={`d-${term}`}>{value}</dd>,
  ];
  const n = settings?.notifiers;
  return (
    <Section id="adm-settings" title={ta('settingsTitle')}>
      {failed !== null && <p class="muted">{failed}</p>}
      {settings && n && (
        <>
          <p>{ta('settingsIntro')}</p>
          <h4>{ta('escalation')}</h4>
          <dl>
            {SEVERITIES.flatMap((sev) =>
              row(ta.of('severity_', sev), seconds(settings.escalation.deadlineS[sev])),
            )}
            {row(ta('renotify'), seconds(settings.escalation.renotifyMinS))}
          </dl>
          <h4>{ta('notifiers')}</h4>
          <dl>
            {row(ta('fallbackWebhook'), yes(n.fallbackWebhook))}
            {row(ta('smsGateway'), yes(n.sms.gateway))}
            {row(ta('smsRecipients'), String(n.sms.recipients))}
            {n.teamWebhooks.flatMap((t) =>
              row(
                ta('teamWebhook', { team: teams.find((x) => x.id === t.teamId)?.name ?? t.teamId }),
                yes(t.configured),
              ),
            )}
            {row(ta('technicianWebhook'), yes(n.technicianWebhook))}
          </dl>
        </>
      )}
    </Section>
  );
}
