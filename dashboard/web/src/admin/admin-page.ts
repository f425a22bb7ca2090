import { el, pageHeading } from '../home-view/dom.ts';
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
  searchHomes,
  settingsInForce,
  type Team,
  updateHome,
  updateUser,
} from './api.ts';
import { errorText, field, messageLine, select, teamBoxes } from './form.ts';
import { ta } from './strings.ts';

const ROLES = ['staff', 'admin', 'technician', 'citizen', 'relative'] as const;
const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;

/** the chosen role; the select offers only these, so anything else is the default's */
const roleOf = (value: string): Role => ROLES.find((r) => r === value) ?? 'staff';
const SHOWN_HOMES = 50;
const TIMEZONES = ['Europe/Copenhagen', 'Atlantic/Faroe', 'America/Nuuk', 'UTC'];

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
 */
export class AdminPage {
  private teams: Team[] = [];
  private readonly users = el('section', { 'aria-labelledby': 'adm-users' });
  private readonly teamSection = el('section', { 'aria-labelledby': 'adm-teams' });
  private readonly homes = el('section', { 'aria-labelledby': 'adm-homes' });
  private readonly settings = el('section', { 'aria-labelledby': 'adm-settings' });
  private readonly homeList = el('ul', { className: 'admin-list' });
  private readonly homeCount = el('p', { className: 'muted', role: 'status' });
  private homeQuery = '';
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(private readonly root: HTMLElement) {}

  start(): void {
    const heading = pageHeading(ta('adminTitle'), 'page-title');
    this.root.replaceChildren(
      el(
        'div',
        { className: 'admin' },
        heading,
        el('p', {}, ta('adminIntro')),
        this.users,
        this.teamSection,
        this.homes,
        this.settings,
      ),
    );
    heading.focus();
    void this.refresh();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async refresh(): Promise<void> {
    try {
      const [teams, users] = await Promise.all([listTeams(), listUsers()]);
      if (this.stopped) return;
      this.teams = teams;
      this.renderUsers(users);
      this.renderTeams();
      this.renderHomesSection();
      void this.renderSettings();
    } catch (err) {
      if (this.stopped) return;
      this.users.replaceChildren(el('p', { className: 'error', role: 'alert' }, errorText(err)));
    }
  }

  // ---- users

  private renderUsers(users: AdminUser[]): void {
    const list = el('ul', { className: 'admin-list' }, ...users.map((u) => this.userItem(u)));
    this.users.replaceChildren(el('h3', { id: 'adm-users' }, ta('usersTitle')), list, this.newUserForm());
  }

  private teamNames(ids: readonly string[]): string {
    return ids.map((id) => this.teams.find((t) => t.id === id)?.name ?? id).join(', ');
  }

  private userItem(user: AdminUser): HTMLLIElement {
    const item = el('li', {});
    const message = messageLine();
    const show = () => {
      const edit = el(
        'button',
        { type: 'button', 'aria-label': `${ta('edit')}: ${user.username}` },
        ta('edit'),
      );
      const reset = el(
        'button',
        { type: 'button', className: 'secondary', 'aria-label': `${ta('resetPassword')}: ${user.username}` },
        ta('resetPassword'),
      );
      edit.onclick = () => showEdit();
      reset.onclick = async () => {
        try {
          const { temporaryPassword } = await resetPassword(user.id);
          user.mustChangePassword = true;
          show();
          message.ok(ta('resetDone', { user: user.username, password: temporaryPassword }));
        } catch (err) {
          message.error(errorText(err));
        }
      };
      item.replaceChildren(
        el('strong', {}, user.displayName),
        ` (${user.username}) – ${ta.of('role_', user.role)}`,
        user.teamIds.length ? ` – ${this.teamNames(user.teamIds)}` : '',
        user.homeId ? ` – ${ta('homeOfUser')} ` : '',
        user.homeId ? el('code', {}, user.homeId) : '',
        user.mustChangePassword ? el('span', { className: 'badge' }, ` ${ta('mustChange')}`) : '',
        el('div', { className: 'actions' }, edit, reset),
        message.node,
      );
    };
    const showEdit = () => {
      const name = field(
        ta('displayName'),
        el('input', { value: user.displayName, required: true }),
        'displayName',
      );
      const role = field(
        ta('role'),
        select(
          ROLES.map((r) => [r, ta.of('role_', r)]),
          user.role,
        ),
        'role',
      );
      const home = field(ta('homeId'), el('input', { value: user.homeId ?? '' }), 'homeId');
      const teams = teamBoxes(this.teams, user.teamIds);
      const cancel = el('button', { type: 'button', className: 'secondary' }, ta('cancel'));
      cancel.onclick = () => show();
      const form = el(
        'form',
        { className: 'admin-form', 'aria-label': `${ta('edit')}: ${user.username}` },
        name.row,
        role.row,
        teams.set,
        home.row,
        message.node,
        el('div', { className: 'actions' }, el('button', { type: 'submit' }, ta('save')), cancel),
      );
      form.onsubmit = async (e) => {
        e.preventDefault();
        const homeId = home.input.value.trim();
        try {
          const { user: saved } = await updateUser(user.id, {
            displayName: name.input.value,
            role: roleOf(role.input.value),
            teamIds: teams.value(),
            homeId: homeId || null,
          });
          Object.assign(user, saved);
          show();
          message.ok(ta('saved'));
        } catch (err) {
          message.error(errorText(err, USER_LABELS()));
        }
      };
      item.replaceChildren(el('strong', {}, user.username), form);
      (name.input as HTMLInputElement).focus();
    };
    show();
    return item;
  }

  private newUserForm(): HTMLFormElement {
    const username = field(ta('username'), el('input', { required: true, autocomplete: 'off' }), 'username');
    const name = field(
      ta('displayName'),
      el('input', { required: true, autocomplete: 'off' }),
      'displayName',
    );
    const role = field(
      ta('role'),
      select(
        ROLES.map((r) => [r, ta.of('role_', r)]),
        'staff',
      ),
      'role',
    );
    const teams = teamBoxes(this.teams, []);
    const home = field(ta('homeId'), el('input', { autocomplete: 'off' }), 'homeId');
    const password = field(
      ta('startPassword'),
      el('input', { type: 'password', autocomplete: 'new-password', required: true, minLength: 8 }),
      'password',
    );
    const mustChange = el('input', { type: 'checkbox', checked: true, id: 'adm-new-user-must-change' });
    const message = messageLine();
    const form = el(
      'form',
      { className: 'admin-form', 'aria-labelledby': 'adm-new-user', noValidate: true },
      el('h4', { id: 'adm-new-user' }, ta('newUser')),
      username.row,
      name.row,
      role.row,
      teams.set,
      home.row,
      password.row,
      el(
        'div',
        { className: 'check' },
        mustChange,
        el('label', { htmlFor: mustChange.id }, ta('mustChangeFirst')),
      ),
      message.node,
      el('button', { type: 'submit' }, ta('create')),
    );
    form.onsubmit = async (e) => {
      e.preventDefault();
      const homeId = home.input.value.trim();
      try {
        await createUser({
          username: username.input.value.trim(),
          displayName: name.input.value.trim(),
          role: roleOf(role.input.value),
          teamIds: teams.value(),
          password: password.input.value,
          mustChangePassword: mustChange.checked,
          ...(homeId ? { homeId } : {}),
        });
        await this.refresh();
        this.users
          .querySelector<HTMLElement>('form[aria-labelledby=adm-new-user] .form-message')
          ?.replaceChildren(ta('created'));
      } catch (err) {
        message.error(errorText(err, USER_LABELS()));
      }
    };
    return form;
  }

  // ---- teams

  private renderTeams(): void {
    const list = el(
      'ul',
      { className: 'admin-list' },
      ...this.teams.map((team) => {
        const name = field(
          `${ta('teamName')}: ${team.name}`,
          el('input', { value: team.name, required: true }),
          'name',
        );
        const message = messageLine();
        const form = el(
          'form',
          { className: 'inline-form' },
          name.row,
          el('button', { type: 'submit' }, ta('rename')),
          message.node,
        );
        form.onsubmit = async (e) => {
          e.preventDefault();
          try {
            const { team: saved } = await renameTeam(team.id, name.input.value.trim());
            team.name = saved.name;
            message.ok(ta('saved'));
          } catch (err) {
            message.error(errorText(err, { name: ta('teamName') }));
          }
        };
        return el('li', {}, form);
      }),
    );
    const id = field(ta('teamId'), el('input', { required: true, autocomplete: 'off' }), 'id');
    const name = field(ta('teamName'), el('input', { required: true, autocomplete: 'off' }), 'name');
    const message = messageLine();
    const create = el(
      'form',
      { className: 'admin-form', 'aria-labelledby': 'adm-new-team', noValidate: true },
      el('h4', { id: 'adm-new-team' }, ta('newTeam')),
      id.row,
      name.row,
      message.node,
      el('button', { type: 'submit' }, ta('create')),
    );
    create.onsubmit = async (e) => {
      e.preventDefault();
      try {
        await createTeam(id.input.value.trim(), name.input.value.trim());
        await this.refresh();
      } catch (err) {
        message.error(errorText(err, { id: ta('teamId'), name: ta('teamName') }));
      }
    };
    this.teamSection.replaceChildren(
      el('h3', { id: 'adm-teams' }, ta('teamsTitle')),
      this.teams.length ? list : el('p', {}, ta('noTeams')),
      create,
    );
  }

  // ---- homes

  private teamOptions(): Array<[string, string]> {
    return this.teams.map((t) => [t.id, t.name]);
  }

  private renderHomesSection(): void {
    const search = field(
      ta('searchHomes'),
      el('input', { type: 'search', autocomplete: 'off', value: this.homeQuery }),
      'q',
    );
    search.input.oninput = () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.homeQuery = search.input.value;
        void this.loadHomes();
      }, 250);
    };
    const id = field(ta('homeIdNew'), el('input', { required: true, autocomplete: 'off' }), 'id');
    const label = field(ta('label'), el('input', { required: true, autocomplete: 'off' }), 'label');
    const team = field(ta('team'), select(this.teamOptions()), 'teamId');
    const tz = field(
      ta('timezone'),
      select(
        TIMEZONES.map((z) => [z, z]),
        'Europe/Copenhagen',
      ),
      'timezone',
    );
    const message = messageLine();
    const create = el(
      'form',
      { className: 'admin-form', 'aria-labelledby': 'adm-new-home', noValidate: true },
      el('h4', { id: 'adm-new-home' }, ta('newHome')),
      id.row,
      label.row,
      team.row,
      tz.row,
      message.node,
      el('button', { type: 'submit' }, ta('create')),
    );
    create.onsubmit = async (e) => {
      e.preventDefault();
      try {
        await createHome({
          id: id.input.value.trim(),
          label: label.input.value.trim(),
          teamId: team.input.value,
          timezone: tz.input.value,
        });
        message.ok(ta('created'));
        void this.loadHomes();
      } catch (err) {
        message.error(errorText(err, HOME_LABELS()));
      }
    };
    this.homes.replaceChildren(
      el('h3', { id: 'adm-homes' }, ta('homesTitle')),
      search.row,
      this.homeCount,
      this.homeList,
      create,
    );
    void this.loadHomes();
  }

  private async loadHomes(): Promise<void> {
    const asked = this.homeQuery;
    try {
      const { homes, total } = await searchHomes(asked, SHOWN_HOMES);
      if (this.stopped || asked !== this.homeQuery) return;
      this.homeList.replaceChildren(...homes.map((h) => this.homeItem(h)));
      this.homeCount.textContent = ta('homeCount', { shown: homes.length, total });
    } catch (err) {
      this.homeCount.textContent = errorText(err);
    }
  }

  private homeItem(home: AdminHome): HTMLLIElement {
    const item = el('li', {});
    const message = messageLine();
    const show = () => {
      const edit = el('button', { type: 'button', 'aria-label': `${ta('edit')}: ${home.label}` }, ta('edit'));
      edit.onclick = () => showEdit();
      const teamName = this.teams.find((t) => t.id === home.teamId)?.name ?? home.teamId;
      item.replaceChildren(
        el('strong', {}, home.label),
        ` – ${teamName} – ${home.timezone} – ${ta('idLabel')} `,
        el('code', {}, home.id),
        el('div', { className: 'actions' }, edit),
        message.node,
      );
    };
    const showEdit = () => {
      const label = field(ta('label'), el('input', { value: home.label, required: true }), 'label');
      const team = field(ta('team'), select(this.teamOptions(), home.teamId), 'teamId');
      const zones = TIMEZONES.includes(home.timezone) ? TIMEZONES : [home.timezone, ...TIMEZONES];
      const tz = field(
        ta('timezone'),
        select(
          zones.map((z) => [z, z]),
          home.timezone,
        ),
        'timezone',
      );
      const cancel = el('button', { type: 'button', className: 'secondary' }, ta('cancel'));
      cancel.onclick = () => show();
      const form = el(
        'form',
        { className: 'admin-form', 'aria-label': `${ta('edit')}: ${home.label}` },
        label.row,
        team.row,
        tz.row,
        message.node,
        el('div', { className: 'actions' }, el('button', { type: 'submit' }, ta('save')), cancel),
      );
      form.onsubmit = async (e) => {
        e.preventDefault();
        try {
          const { home: saved } = await updateHome(home.id, {
            label: label.input.value.trim(),
            teamId: team.input.value,
            timezone: tz.input.value,
          });
          Object.assign(home, saved);
          show();
          message.ok(ta('saved'));
        } catch (err) {
          message.error(errorText(err, HOME_LABELS()));
        }
      };
      item.replaceChildren(el('strong', {}, home.id), form);
      (label.input as HTMLInputElement).focus();
    };
    show();
    return item;
  }

  // ---- settings in force

  private async renderSettings(): Promise<void> {
    const heading = el('h3', { id: 'adm-settings' }, ta('settingsTitle'));
    try {
      const s = await settingsInForce();
      if (this.stopped) return;
      const yes = (v: boolean) => (v ? ta('configured') : ta('notConfigured'));
      const seconds = (n: number) => (n === 0 ? ta('never') : ta('seconds', { n }));
      const row = (term: string, value: string) => [el('dt', {}, term), el('dd', {}, value)];
      const n = s.notifiers;
      this.settings.replaceChildren(
        heading,
        el('p', {}, ta('settingsIntro')),
        el('h4', {}, ta('escalation')),
        el(
          'dl',
          {},
          ...SEVERITIES.flatMap((sev) => row(ta.of('severity_', sev), seconds(s.escalation.deadlineS[sev]))),
          ...row(ta('renotify'), seconds(s.escalation.renotifyMinS)),
        ),
        el('h4', {}, ta('notifiers')),
        el(
          'dl',
          {},
          ...row(ta('fallbackWebhook'), yes(n.fallbackWebhook)),
          ...row(ta('smsGateway'), yes(n.sms.gateway)),
          ...row(ta('smsRecipients'), String(n.sms.recipients)),
          ...n.teamWebhooks.flatMap((t) =>
            row(
              ta('teamWebhook', { team: this.teams.find((x) => x.id === t.teamId)?.name ?? t.teamId }),
              yes(t.configured),
            ),
          ),
          ...row(ta('technicianWebhook'), yes(n.technicianWebhook)),
        ),
      );
    } catch (err) {
      this.settings.replaceChildren(heading, el('p', { className: 'muted' }, errorText(err)));
    }
  }
}
