-- A claim is written once per tool result over the history budget (about one per
-- "why is X slow?" question) and only ever read back whole: nothing queries inside it.
-- As text it skips jsonb's parse on write and its re-serialisation on read: for a 1 MB
-- result, 46 -> 34 ms to insert and 17 -> 6.5 ms to read back in the database
-- (docs/DECISIONS.md "Window reads"). The writer sends model_dump_json() output, so the
-- text is always JSON; RLS and the retention index are unchanged.
ALTER TABLE tool_result_claim ALTER COLUMN payload TYPE text USING payload::text;
