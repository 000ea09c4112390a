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
]
