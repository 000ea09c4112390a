/** How many of the newest messages the recent search index holds (schema 4): search costs grow with it, not with history. */
const recentSearchWindow = 20_000

/** The statements that add a message row to an FTS table over messages_searchable, or take it out. */
function indexMessage(table: string, row: 'new' | 'old'): string {
  return `insert into ${table}(rowid, content, workspace)
      values (${row}.rowid, ${row}.content, replace(${row}.workspace_id, '-', ''));`
}
function unindexMessage(table: string, row: 'new' | 'old'): string {
  return `insert into ${table}(${table}, rowid, content, workspace)
      values ('delete', ${row}.rowid, ${row}.content, replace(${row}.workspace_id, '-', ''));`
}

const suffixStarts = `json_each('[1,2,3,4,5,6,7,8,9,10,11,12,13]') p`

/**
 * Every suffix of at least three digits of `row`'s number, one row each (schema 3,
 * contact_phone_suffixes); `source` names the table `row` comes from when it is not a trigger's row.
 */
function phoneSuffixesOf(row: string, source = ''): string {
  return `select ${row}.workspace_id, substr(${row}.phone_digits, p.value), ${row}.rowid
        from ${source}${suffixStarts} where p.value <= length(${row}.phone_digits) - 2`
}
const unindexOldPhone = `delete from contact_phone_suffixes where workspace_id = old.workspace_id and contact_rowid = old.rowid
       and suffix in (select substr(old.phone_digits, p.value) from ${suffixStarts});`

/** True when `row` of `table` is in the search indexes: it is not in the range a first sync left for later (schema 8). */
function indexed(table: 'contacts' | 'messages', row: 'new' | 'old'): string {
  return `not exists (select 1 from unindexed_rows where table_name = '${table}' and from_rowid <= ${row}.rowid)`
}

/**
 * The cache's schema, one entry per version. `PRAGMA user_version` records how many
 * have been applied; a newer app adds an entry and never edits a shipped one.
 */
export const cacheMigrations: readonly string[] = [
  `
  create table workspaces (
    id text primary key,
    name text not null,
    role text not null,
    can_send integer not null,
    sending_number text,
    position integer not null
  );

  create table contacts (
    id text primary key,
    workspace_id text not null,
    phone_number text not null,
    phone_digits text not null,
    name text,
    email text,
    status text not null,
    unread_count integer not null,
    last_message_at text,
    last_message_preview text,
    updated_at text not null
  );
  create index contacts_inbox on contacts(workspace_id, status, last_message_at desc);
  create index contacts_activity on contacts(workspace_id, last_message_at desc);
  create index contacts_unread on contacts(workspace_id) where unread_count > 0;

  create table messages (
    id text primary key,
    workspace_id text not null,
    contact_id text not null,
    direction text not null,
    content text not null,
    status text not null,
    error_code text,
    error_message text,
    created_at text not null,
    updated_at text not null,
    created_by text
  );
  create index messages_thread on messages(contact_id, created_at);
  create index messages_age on messages(created_at);

  -- Names are searched through FTS (word prefixes); numbers by digits (contacts.phone_digits).
  create virtual table contacts_fts using fts5(name, content='contacts', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2');
  create trigger contacts_fts_insert after insert on contacts begin
    insert into contacts_fts(rowid, name) values (new.rowid, coalesce(new.name, ''));
  end;
  create trigger contacts_fts_delete after delete on contacts begin
    insert into contacts_fts(contacts_fts, rowid, name) values ('delete', old.rowid, coalesce(old.name, ''));
  end;
  create trigger contacts_fts_update after update of name on contacts begin
    insert into contacts_fts(contacts_fts, rowid, name) values ('delete', old.rowid, coalesce(old.name, ''));
    insert into contacts_fts(rowid, name) values (new.rowid, coalesce(new.name, ''));
  end;

  create virtual table messages_fts using fts5(content, content='messages', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2');
  create trigger messages_fts_insert after insert on messages begin
    insert into messages_fts(rowid, content) values (new.rowid, new.content);
  end;
  create trigger messages_fts_delete after delete on messages begin
    insert into messages_fts(messages_fts, rowid, content) values ('delete', old.rowid, old.content);
  end;
  create trigger messages_fts_update after update of content on messages begin
    insert into messages_fts(messages_fts, rowid, content) values ('delete', old.rowid, old.content);
    insert into messages_fts(rowid, content) values (new.rowid, new.content);
  end;

  -- Sends not yet accepted by the relay. seq orders them per conversation.
  create table outbox (
    seq integer primary key autoincrement,
    message_id text not null unique,
    workspace_id text not null,
    contact_id text not null,
    body text not null,
    retry integer not null default 0,
    attempts integer not null default 0,
    next_attempt_at integer not null default 0
  );

  -- Per workspace: the newest server updated_at applied, and when the cache last matched the server.
  create table sync_state (
    workspace_id text primary key,
    messages_cursor text,
    contacts_cursor text,
    last_sync_at text
  );
  `,
  // The inbox status column takes the database's name, so the cache's contacts
  // columns are the synced row's columns (src/shared/domain.ts, conversationView).
  `alter table contacts rename column status to conversation_status;`,
  // Every hot read answered from an index or a maintained counter (issue 16): at 100k
  // conversations and 2M messages a recount or a scan per inbox page, badge or keystroke
  // costs tens of milliseconds.
  `
  -- Per workspace and status: how many conversations, and their unread messages. Kept by
  -- triggers in the same transaction as the contacts row, so the inbox counts and the badge
  -- read a handful of rows instead of recounting every conversation.
  create table inbox_counts (
    workspace_id text not null,
    conversation_status text not null,
    conversations integer not null,
    unread integer not null,
    primary key (workspace_id, conversation_status)
  ) without rowid;
  insert into inbox_counts (workspace_id, conversation_status, conversations, unread)
    select workspace_id, conversation_status, count(*), total(unread_count) from contacts
     group by workspace_id, conversation_status;
  create trigger contacts_counts_insert after insert on contacts begin
    insert into inbox_counts (workspace_id, conversation_status, conversations, unread)
      values (new.workspace_id, new.conversation_status, 1, new.unread_count)
      on conflict (workspace_id, conversation_status)
      do update set conversations = conversations + 1, unread = unread + excluded.unread;
  end;
  create trigger contacts_counts_delete after delete on contacts begin
    update inbox_counts set conversations = conversations - 1, unread = unread - old.unread_count
     where workspace_id = old.workspace_id and conversation_status = old.conversation_status;
  end;
  create trigger contacts_counts_update after update of workspace_id, conversation_status, unread_count on contacts
    when old.workspace_id is not new.workspace_id
      or old.conversation_status is not new.conversation_status
      or old.unread_count is not new.unread_count
  begin
    update inbox_counts set conversations = conversations - 1, unread = unread - old.unread_count
     where workspace_id = old.workspace_id and conversation_status = old.conversation_status;
    insert into inbox_counts (workspace_id, conversation_status, conversations, unread)
      values (new.workspace_id, new.conversation_status, 1, new.unread_count)
      on conflict (workspace_id, conversation_status)
      do update set conversations = conversations + 1, unread = unread + excluded.unread;
  end;

  -- Every suffix of at least three digits of each number (E.164 has at most 15), so "digits
  -- anywhere in the number" is a range on an index instead of instr() over every contact.
  create table contact_phone_suffixes (
    workspace_id text not null,
    suffix text not null,
    contact_rowid integer not null,
    primary key (workspace_id, suffix, contact_rowid)
  ) without rowid;
  create index contact_phone_suffixes_any on contact_phone_suffixes(suffix);
  insert into contact_phone_suffixes (workspace_id, suffix, contact_rowid)
    select c.workspace_id, substr(c.phone_digits, p.value), c.rowid
      from contacts c join json_each('[1,2,3,4,5,6,7,8,9,10,11,12,13]') p on p.value <= length(c.phone_digits) - 2;
  create trigger contacts_phone_insert after insert on contacts begin
    insert into contact_phone_suffixes (workspace_id, suffix, contact_rowid)
      select new.workspace_id, substr(new.phone_digits, p.value), new.rowid
        from json_each('[1,2,3,4,5,6,7,8,9,10,11,12,13]') p where p.value <= length(new.phone_digits) - 2;
  end;
  create trigger contacts_phone_delete after delete on contacts begin
    delete from contact_phone_suffixes where workspace_id = old.workspace_id and contact_rowid = old.rowid
       and suffix in (select substr(old.phone_digits, p.value) from json_each('[1,2,3,4,5,6,7,8,9,10,11,12,13]') p);
  end;
  create trigger contacts_phone_update after update of workspace_id, phone_digits on contacts
    when old.workspace_id is not new.workspace_id or old.phone_digits is not new.phone_digits
  begin
    delete from contact_phone_suffixes where workspace_id = old.workspace_id and contact_rowid = old.rowid
       and suffix in (select substr(old.phone_digits, p.value) from json_each('[1,2,3,4,5,6,7,8,9,10,11,12,13]') p);
    insert into contact_phone_suffixes (workspace_id, suffix, contact_rowid)
      select new.workspace_id, substr(new.phone_digits, p.value), new.rowid
        from json_each('[1,2,3,4,5,6,7,8,9,10,11,12,13]') p where p.value <= length(new.phone_digits) - 2;
  end;

  -- Keyset pages in list order (newest first, untimed last, id breaking ties) read straight
  -- off these: '' sorts below every timestamp, as NULL does.
  drop index contacts_inbox;
  drop index contacts_activity;
  create index contacts_inbox on contacts(workspace_id, conversation_status, coalesce(last_message_at, '') desc, id);
  create index contacts_activity on contacts(workspace_id, coalesce(last_message_at, '') desc, id);
  drop index messages_thread;
  create index messages_thread on messages(contact_id, created_at, id);
  create index outbox_thread on outbox(contact_id, seq);

  -- Full-text search scoped by workspace inside the index: the workspace is a column of
  -- each FTS table, one token (the id without hyphens), queried as a column filter. The
  -- views give FTS5 the same columns the triggers index, so 'rebuild' and snippet() agree.
  drop trigger contacts_fts_insert;
  drop trigger contacts_fts_delete;
  drop trigger contacts_fts_update;
  drop table contacts_fts;
  create view contacts_searchable as
    select rowid as contact_rowid, coalesce(name, '') as name, replace(workspace_id, '-', '') as workspace from contacts;
  create virtual table contacts_fts using fts5(name, workspace, content='contacts_searchable',
    content_rowid='contact_rowid', tokenize='unicode61 remove_diacritics 2');
  insert into contacts_fts(contacts_fts) values ('rebuild');
  create trigger contacts_fts_insert after insert on contacts begin
    insert into contacts_fts(rowid, name, workspace)
      values (new.rowid, coalesce(new.name, ''), replace(new.workspace_id, '-', ''));
  end;
  create trigger contacts_fts_delete after delete on contacts begin
    insert into contacts_fts(contacts_fts, rowid, name, workspace)
      values ('delete', old.rowid, coalesce(old.name, ''), replace(old.workspace_id, '-', ''));
  end;
  create trigger contacts_fts_update after update of name, workspace_id on contacts
    when old.name is not new.name or old.workspace_id is not new.workspace_id
  begin
    insert into contacts_fts(contacts_fts, rowid, name, workspace)
      values ('delete', old.rowid, coalesce(old.name, ''), replace(old.workspace_id, '-', ''));
    insert into contacts_fts(rowid, name, workspace)
      values (new.rowid, coalesce(new.name, ''), replace(new.workspace_id, '-', ''));
  end;

  drop trigger messages_fts_insert;
  drop trigger messages_fts_delete;
  drop trigger messages_fts_update;
  drop table messages_fts;
  create view messages_searchable as
    select rowid as message_rowid, content, replace(workspace_id, '-', '') as workspace from messages;
  create virtual table messages_fts using fts5(content, workspace, content='messages_searchable',
    content_rowid='message_rowid', tokenize='unicode61 remove_diacritics 2');
  insert into messages_fts(messages_fts) values ('rebuild');
  create trigger messages_fts_insert after insert on messages begin
    insert into messages_fts(rowid, content, workspace)
      values (new.rowid, new.content, replace(new.workspace_id, '-', ''));
  end;
  create trigger messages_fts_delete after delete on messages begin
    insert into messages_fts(messages_fts, rowid, content, workspace)
      values ('delete', old.rowid, old.content, replace(old.workspace_id, '-', ''));
  end;
  -- A status change rewrites the row without touching its text: the index stays as it is.
  create trigger messages_fts_update after update of content, workspace_id on messages
    when old.content is not new.content or old.workspace_id is not new.workspace_id
  begin
    insert into messages_fts(messages_fts, rowid, content, workspace)
      values ('delete', old.rowid, old.content, replace(old.workspace_id, '-', ''));
    insert into messages_fts(rowid, content, workspace)
      values (new.rowid, new.content, replace(new.workspace_id, '-', ''));
  end;
  `,
  // Search at 2M messages (issue 16): a prefix query merges every matching term's whole
  // doclist before it yields a row, and bm25 counts every match of each phrase in the table,
  // so each search cost time in proportion to all history. The newest messages also go into
  // a small FTS table: search ranks there, and reads messages_fts only when the recent
  // messages hold too few matches, which is when history's matches are few or the
  // query is rare anyway.
  `
  -- The recent index holds exactly the messages with rowid >= floor. Rowids grow with
  -- insertion, so once the newest row passes floor + size + size / 8, the oldest eighth
  -- leaves in one step (size rows stay) instead of one row on every insert.
  create table messages_recent_window (
    id integer primary key check (id = 1),
    floor integer not null,
    size integer not null check (size > 0)
  );
  insert into messages_recent_window (id, floor, size)
    select 1, coalesce(max(rowid), 0) - ${recentSearchWindow} + 1, ${recentSearchWindow} from messages;
  create virtual table messages_recent_fts using fts5(content, workspace, content='messages_searchable',
    content_rowid='message_rowid', tokenize='unicode61 remove_diacritics 2');
  insert into messages_recent_fts(rowid, content, workspace)
    select rowid, content, replace(workspace_id, '-', '') from messages
     where rowid >= (select floor from messages_recent_window);

  create trigger messages_recent_insert after insert on messages
    when new.rowid >= (select floor from messages_recent_window)
  begin
    ${indexMessage('messages_recent_fts', 'new')}
  end;
  create trigger messages_recent_slide after insert on messages
    when new.rowid >= (select floor + size + size / 8 from messages_recent_window)
  begin
    insert into messages_recent_fts(messages_recent_fts, rowid, content, workspace)
      select 'delete', rowid, content, replace(workspace_id, '-', '') from messages
       where rowid >= (select floor from messages_recent_window)
         and rowid <= new.rowid - (select size from messages_recent_window);
    update messages_recent_window set floor = new.rowid - size + 1;
  end;
  create trigger messages_recent_delete after delete on messages
    when old.rowid >= (select floor from messages_recent_window)
  begin
    ${unindexMessage('messages_recent_fts', 'old')}
  end;
  create trigger messages_recent_update after update of content, workspace_id on messages
    when (old.content is not new.content or old.workspace_id is not new.workspace_id)
      and old.rowid >= (select floor from messages_recent_window)
  begin
    ${unindexMessage('messages_recent_fts', 'old')}
    ${indexMessage('messages_recent_fts', 'new')}
  end;
  `,
  // The collision guard (issue 18): how each queued reply asks the relay to guard it.
  // 'none' for sends made before the guard existed, which the relay stores unguarded as
  // before; 'seen' with the newest message its author had seen (NULL: none by anyone
  // else); 'anyway' once the author read what arrived and sends it regardless.
  `
  alter table outbox add column guard text not null default 'none' check (guard in ('none', 'seen', 'anyway'));
  alter table outbox add column seen_message_id text;
  `,
  // The team inbox (issue 18): who owns each conversation, the Mine and Unassigned views
  // with their counts, and the workspace's members by name, so nothing shows an id.
  `
  alter table contacts add column assignee_id text;
  -- Cached rows predate the column: the next backfill reads every contact again to fill it.
  update sync_state set contacts_cursor = null;
  -- The Mine and Unassigned pages, with and without a status, in list order (as contacts_inbox).
  create index contacts_assignee_inbox
    on contacts(workspace_id, assignee_id, conversation_status, coalesce(last_message_at, '') desc, id);
  create index contacts_assignee_activity
    on contacts(workspace_id, assignee_id, coalesce(last_message_at, '') desc, id);

  -- Per workspace and owner ('' for nobody): conversations and their unread messages, kept
  -- as inbox_counts is, so each view's count reads one row.
  create table assignee_counts (
    workspace_id text not null,
    assignee text not null,
    conversations integer not null,
    unread integer not null,
    primary key (workspace_id, assignee)
  ) without rowid;
  insert into assignee_counts (workspace_id, assignee, conversations, unread)
    select workspace_id, coalesce(assignee_id, ''), count(*), total(unread_count) from contacts
     group by workspace_id, coalesce(assignee_id, '');
  create trigger contacts_assignee_counts_insert after insert on contacts begin
    insert into assignee_counts (workspace_id, assignee, conversations, unread)
      values (new.workspace_id, coalesce(new.assignee_id, ''), 1, new.unread_count)
      on conflict (workspace_id, assignee)
      do update set conversations = conversations + 1, unread = unread + excluded.unread;
  end;
  create trigger contacts_assignee_counts_delete after delete on contacts begin
    update assignee_counts set conversations = conversations - 1, unread = unread - old.unread_count
     where workspace_id = old.workspace_id and assignee = coalesce(old.assignee_id, '');
  end;
  create trigger contacts_assignee_counts_update after update of workspace_id, assignee_id, unread_count on contacts
    when old.workspace_id is not new.workspace_id
      or old.assignee_id is not new.assignee_id
      or old.unread_count is not new.unread_count
  begin
    update assignee_counts set conversations = conversations - 1, unread = unread - old.unread_count
     where workspace_id = old.workspace_id and assignee = coalesce(old.assignee_id, '');
    insert into assignee_counts (workspace_id, assignee, conversations, unread)
      values (new.workspace_id, coalesce(new.assignee_id, ''), 1, new.unread_count)
      on conflict (workspace_id, assignee)
      do update set conversations = conversations + 1, unread = unread + excluded.unread;
  end;

  -- A workspace's members as the team sees them; replaced whole on every backfill.
  create table member_profiles (
    workspace_id text not null,
    user_id text not null,
    display_name text not null,
    avatar_color text not null,
    role text not null,
    updated_at text not null,
    primary key (workspace_id, user_id)
  ) without rowid;
  `,
  // The team inbox (issue 18): internal notes, cached and searched as messages are, and
  // saved replies. A note's mentions are a JSON array of user ids, read with the note and
  // never queried on their own: the mention that notifies arrives with the note itself.
  `
  create table internal_notes (
    id text primary key,
    workspace_id text not null,
    contact_id text not null,
    body text not null,
    mentions text not null,
    created_by text,
    created_at text not null,
    updated_at text not null
  );
  create index internal_notes_thread on internal_notes(contact_id, created_at, id);

  -- Searched like messages: the workspace is a column of the index, one token (schema 3).
  create view internal_notes_searchable as
    select rowid as note_rowid, body, replace(workspace_id, '-', '') as workspace from internal_notes;
  create virtual table internal_notes_fts using fts5(body, workspace, content='internal_notes_searchable',
    content_rowid='note_rowid', tokenize='unicode61 remove_diacritics 2');
  create trigger internal_notes_fts_insert after insert on internal_notes begin
    insert into internal_notes_fts(rowid, body, workspace)
      values (new.rowid, new.body, replace(new.workspace_id, '-', ''));
  end;
  create trigger internal_notes_fts_delete after delete on internal_notes begin
    insert into internal_notes_fts(internal_notes_fts, rowid, body, workspace)
      values ('delete', old.rowid, old.body, replace(old.workspace_id, '-', ''));
  end;
  create trigger internal_notes_fts_update after update of body, workspace_id on internal_notes
    when old.body is not new.body or old.workspace_id is not new.workspace_id
  begin
    insert into internal_notes_fts(internal_notes_fts, rowid, body, workspace)
      values ('delete', old.rowid, old.body, replace(old.workspace_id, '-', ''));
    insert into internal_notes_fts(rowid, body, workspace)
      values (new.rowid, new.body, replace(new.workspace_id, '-', ''));
  end;

  -- A workspace holds tens of them: they are read whole, by title, and replaced whole on
  -- every catch-up, so a reply deleted on the server leaves the cache too.
  create table saved_replies (
    id text primary key,
    workspace_id text not null,
    owner_id text,
    title text not null,
    body text not null,
    updated_at text not null
  );
  create index saved_replies_workspace on saved_replies(workspace_id, title, id);

  alter table sync_state add column notes_cursor text;
  `,
  // A first sync of 100k conversations (issue 16) spent most of its time in the triggers
  // above: thirteen phone-suffix rows and three FTS inserts per row, each at a random
  // place in a growing index. A first sync now leaves the rows it writes out of the search
  // indexes and adds them in one set-based statement per index when a stage ends
  // (Cache.indexDeferredRows). The triggers are the same but for one condition: they act
  // only on rows the indexes hold, so an edit or delete of a row not yet indexed leaves
  // the indexes alone, as they never held it.
  `
  -- Per table, while a first sync defers its rows: every row from from_rowid on is out of
  -- the search indexes, every row below it in. Committed with the rows, so after a crash
  -- the next open indexes exactly what is missing.
  create table unindexed_rows (
    table_name text primary key check (table_name in ('contacts', 'messages')),
    from_rowid integer not null
  );

  drop trigger contacts_phone_insert;
  drop trigger contacts_phone_delete;
  drop trigger contacts_phone_update;
  create trigger contacts_phone_insert after insert on contacts when ${indexed('contacts', 'new')} begin
    insert into contact_phone_suffixes (workspace_id, suffix, contact_rowid) ${phoneSuffixesOf('new')};
  end;
  create trigger contacts_phone_delete after delete on contacts when ${indexed('contacts', 'old')} begin
    ${unindexOldPhone}
  end;
  create trigger contacts_phone_update after update of workspace_id, phone_digits on contacts
    when (old.workspace_id is not new.workspace_id or old.phone_digits is not new.phone_digits)
      and ${indexed('contacts', 'old')}
  begin
    ${unindexOldPhone}
    insert into contact_phone_suffixes (workspace_id, suffix, contact_rowid) ${phoneSuffixesOf('new')};
  end;

  drop trigger contacts_fts_insert;
  drop trigger contacts_fts_delete;
  drop trigger contacts_fts_update;
  create trigger contacts_fts_insert after insert on contacts when ${indexed('contacts', 'new')} begin
    insert into contacts_fts(rowid, name, workspace)
      values (new.rowid, coalesce(new.name, ''), replace(new.workspace_id, '-', ''));
  end;
  create trigger contacts_fts_delete after delete on contacts when ${indexed('contacts', 'old')} begin
    insert into contacts_fts(contacts_fts, rowid, name, workspace)
      values ('delete', old.rowid, coalesce(old.name, ''), replace(old.workspace_id, '-', ''));
  end;
  create trigger contacts_fts_update after update of name, workspace_id on contacts
    when (old.name is not new.name or old.workspace_id is not new.workspace_id)
      and ${indexed('contacts', 'old')}
  begin
    insert into contacts_fts(contacts_fts, rowid, name, workspace)
      values ('delete', old.rowid, coalesce(old.name, ''), replace(old.workspace_id, '-', ''));
    insert into contacts_fts(rowid, name, workspace)
      values (new.rowid, coalesce(new.name, ''), replace(new.workspace_id, '-', ''));
  end;

  drop trigger messages_fts_insert;
  drop trigger messages_fts_delete;
  drop trigger messages_fts_update;
  create trigger messages_fts_insert after insert on messages when ${indexed('messages', 'new')} begin
    ${indexMessage('messages_fts', 'new')}
  end;
  create trigger messages_fts_delete after delete on messages when ${indexed('messages', 'old')} begin
    ${unindexMessage('messages_fts', 'old')}
  end;
  create trigger messages_fts_update after update of content, workspace_id on messages
    when (old.content is not new.content or old.workspace_id is not new.workspace_id)
      and ${indexed('messages', 'old')}
  begin
    ${unindexMessage('messages_fts', 'old')}
    ${indexMessage('messages_fts', 'new')}
  end;

  -- The recent window moves as before; what it drops from the recent index is only what
  -- that index holds, and rows not yet indexed join it when they are (from the floor on).
  drop trigger messages_recent_insert;
  drop trigger messages_recent_slide;
  drop trigger messages_recent_delete;
  drop trigger messages_recent_update;
  create trigger messages_recent_insert after insert on messages
    when new.rowid >= (select floor from messages_recent_window) and ${indexed('messages', 'new')}
  begin
    ${indexMessage('messages_recent_fts', 'new')}
  end;
  create trigger messages_recent_slide after insert on messages
    when new.rowid >= (select floor + size + size / 8 from messages_recent_window)
  begin
    insert into messages_recent_fts(messages_recent_fts, rowid, content, workspace)
      select 'delete', rowid, content, replace(workspace_id, '-', '') from messages
       where rowid >= (select floor from messages_recent_window)
         and rowid <= new.rowid - (select size from messages_recent_window)
         and rowid < coalesce((select from_rowid from unindexed_rows where table_name = 'messages'), new.rowid);
    update messages_recent_window set floor = new.rowid - size + 1;
  end;
  create trigger messages_recent_delete after delete on messages
    when old.rowid >= (select floor from messages_recent_window) and ${indexed('messages', 'old')}
  begin
    ${unindexMessage('messages_recent_fts', 'old')}
  end;
  create trigger messages_recent_update after update of content, workspace_id on messages
    when (old.content is not new.content or old.workspace_id is not new.workspace_id)
      and old.rowid >= (select floor from messages_recent_window) and ${indexed('messages', 'old')}
  begin
    ${unindexMessage('messages_recent_fts', 'old')}
    ${indexMessage('messages_recent_fts', 'new')}
  end;
  `,
  // Reaching customers (issue 19): which of the workspace's numbers each message used,
  // the number a queued reply leaves from, the numbers a workspace holds, and consent per
  // (contact, sender). A state's keyword lives on the event that decided it; Realtime
  // sends that event before the state, so events are kept as they come and joined on read.
  `
  alter table messages add column workspace_number text;
  alter table outbox add column from_number text;

  create table workspace_numbers (
    id text primary key,
    workspace_id text not null,
    phone_number text not null,
    friendly_name text,
    messaging_service_sid text,
    position integer not null
  );
  create index workspace_numbers_workspace on workspace_numbers(workspace_id, position);

  create table consent_states (
    workspace_id text not null,
    contact_id text not null,
    sender text not null,
    opted_out integer not null,
    event_id text not null,
    changed_at text not null,
    updated_at text not null,
    primary key (contact_id, sender)
  ) without rowid;
  create index consent_states_workspace on consent_states(workspace_id);

  create table consent_events (
    id text primary key,
    workspace_id text not null,
    keyword text,
    source text not null
  ) without rowid;
  create index consent_events_workspace on consent_events(workspace_id);

  alter table sync_state add column consent_cursor text;
  `,
  // Segments a reply may cost before the composer warns (issue 19): the workspace's
  // setting, replaced with the rest of the row on every sync. 3 is the server's default,
  // so a cache written before this entry shows the same limit until the next sync.
  `
  alter table workspaces add column segment_limit integer not null default 3;
  `,
  // The contact panel (issue 19): per workspace number a contact has talked to, how many
  // messages each way and the first and last, read off one covering index in its order.
  `create index messages_contact_number on messages(contact_id, workspace_number, created_at, direction);`,
]

/**
 * What a first sync left out of the search indexes (schema 8, unindexed_rows), added per
 * table in one set-based statement per index for every row from `$from` on. Phone suffixes go
 * in key order, so the B-tree grows at its end instead of at a random page per row.
 */
export const deferredIndexBuilds: Record<'contacts' | 'messages', readonly string[]> = {
  contacts: [
    `insert into contact_phone_suffixes (workspace_id, suffix, contact_rowid)
      ${phoneSuffixesOf('c', 'contacts c, ')} and c.rowid >= $from order by 1, 2, 3`,
    `insert into contacts_fts(rowid, name, workspace)
      select rowid, coalesce(name, ''), replace(workspace_id, '-', '') from contacts where rowid >= $from`,
  ],
  messages: [
    `insert into messages_fts(rowid, content, workspace)
      select rowid, content, replace(workspace_id, '-', '') from messages where rowid >= $from`,
    `insert into messages_recent_fts(rowid, content, workspace)
      select rowid, content, replace(workspace_id, '-', '') from messages
       where rowid >= max($from, (select floor from messages_recent_window))`,
  ],
}

/**
 * The B-tree indexes that order the inbox and threads (schemas 1, 3, 7, 11), as they stand
 * now. Row by row, each costs an insert at a random place (a contact id) or at the far left
 * of a newest-first order, which at 100k rows was half of what a first sync spent in SQLite;
 * built in one sorted pass they cost a tenth of that. So a first sync into an empty table
 * drops them and builds them again when its stage ends (Cache.deferIndexing and
 * indexDeferredRows): meanwhile the inbox lists only the rows arriving, by a scan.
 * deferred-indexing.test pins each to what the migrations created.
 */
export const orderingIndexes: Record<'contacts' | 'messages', readonly { name: string; on: string }[]> = {
  contacts: [
    { name: 'contacts_unread', on: 'contacts(workspace_id) where unread_count > 0' },
    {
      name: 'contacts_inbox',
      on: "contacts(workspace_id, conversation_status, coalesce(last_message_at, '') desc, id)",
    },
    { name: 'contacts_activity', on: "contacts(workspace_id, coalesce(last_message_at, '') desc, id)" },
    {
      name: 'contacts_assignee_inbox',
      on: "contacts(workspace_id, assignee_id, conversation_status, coalesce(last_message_at, '') desc, id)",
    },
    {
      name: 'contacts_assignee_activity',
      on: "contacts(workspace_id, assignee_id, coalesce(last_message_at, '') desc, id)",
    },
  ],
  messages: [
    { name: 'messages_age', on: 'messages(created_at)' },
    { name: 'messages_thread', on: 'messages(contact_id, created_at, id)' },
    { name: 'messages_contact_number', on: 'messages(contact_id, workspace_number, created_at, direction)' },
  ],
}
