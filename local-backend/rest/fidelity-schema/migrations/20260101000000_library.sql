-- A small library, shaped to exercise every kind of relationship PostgREST embeds
-- (its "Resource Embedding" docs): many-to-one, one-to-many, one-to-one, many-to-many
-- through a junction, two keys to the same table, a self-reference, a view, and
-- functions of a row (computed fields and computed relationships).
create table public.authors (
  name text primary key,
  profile jsonb
);

create table public.books (
  id bigint primary key,
  title text not null,
  pages int not null,
  author text not null references public.authors,
  editor text references public.authors
);

create table public.book_covers (
  book_id bigint primary key references public.books,
  colour text
);

create table public.genres (
  id bigint primary key,
  label text not null
);

create table public.book_genres (
  book_id bigint references public.books,
  genre_id bigint references public.genres,
  primary key (book_id, genre_id)
);

create table public.shelves (
  id bigint primary key,
  label text not null,
  parent_id bigint references public.shelves
);

create view public.long_books as select id, title, pages, author from public.books where pages > 300;

create function public.shout(public.books) returns text language sql stable as $$ select upper($1.title) $$;

create function public.written(public.authors) returns setof public.books language sql stable as $$
  select * from public.books where author = $1.name
$$;

create function public.books_by(who text) returns setof public.books language sql stable as $$
  select * from public.books where author = who
$$;

create function public.page_total(who text) returns bigint language sql stable as $$
  select sum(pages) from public.books where author = who
$$;

grant select on all tables in schema public to anon, authenticated, service_role;
