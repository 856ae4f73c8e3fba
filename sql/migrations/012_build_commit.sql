-- The commit a build ran on (GitHub Actions: the run's head_sha), so that
-- whose turn (docs/definitions.md §19) can take a failed Actions job on a
-- pull request's head commit as a CI verdict. '' where the system does not
-- say (Zuul, Jenkins, GitLab CI, and builds collected before this column).
-- One statement that adds one column: a migration cut short is re-run
-- safely (an existing column is skipped).
ALTER TABLE raw_builds ADD COLUMN commit String DEFAULT '';
