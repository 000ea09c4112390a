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
]
