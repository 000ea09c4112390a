insert into public.authors (name, profile) values
  ('ada', '{"born": 1815, "langs": ["en", "fr"]}'),
  ('bo', '{"born": 1990, "langs": ["sv"]}'),
  ('cy', null);
insert into public.books (id, title, pages, author, editor) values
  (1, 'notes', 120, 'ada', 'bo'),
  (2, 'engines', 480, 'ada', null),
  (3, 'fika', 210, 'bo', 'ada');
insert into public.book_covers (book_id, colour) values (1, 'red');
insert into public.genres (id, label) values (1, 'maths'), (2, 'history'), (3, 'food');
insert into public.book_genres (book_id, genre_id) values (1, 1), (2, 1), (2, 2), (3, 3);
insert into public.shelves (id, label, parent_id) values (1, 'root', null), (2, 'left', 1), (3, 'right', 1), (4, 'deep', 2);
