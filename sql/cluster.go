package sql

import (
	"fmt"
	"regexp"
	"strings"
)

// Rendering for a ClickHouse cluster (clickhouse.cluster in the config).
//
// The migrations are written for one server. On a cluster every statement is
// rendered ON CLUSTER, and each table becomes two:
//
//   - <table>_local, on every node: the data, in the Replicated form of the
//     table's engine (ReplacingMergeTree(version) becomes
//     ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/<db>/<table>',
//     '{replica}', version)), so the replicas of a shard hold the same rows;
//   - <table>, on every node: a Distributed table over the <table>_local of
//     all shards, under the name the code and the views use, so that no
//     query, insert or view changes.
//
// Each Distributed table shards by a hash of the entity its rows belong to
// (see ShardingKey). ReplacingMergeTree, and so FINAL, only replaces rows
// that sit on the same server: every version of one row must go to the same
// shard, which holds when the sharding key is made of sorting-key columns.
// The four tables of a change (raw_changes, raw_revisions, raw_messages,
// raw_votes) all shard by cityHash64(source, project, number): a change and
// everything it holds live on one shard.

// LocalSuffix ends the name of a table's local part on a cluster: the rows
// of x are in x_local on every node; x is the Distributed table over them.
const LocalSuffix = "_local"

// LocalTable returns the name of table's local part on a cluster.
func LocalTable(table string) string { return table + LocalSuffix }

// SchemaMigrationsDDL creates the table where Migrate records the applied
// migrations (rendered for a cluster like any other table).
const SchemaMigrationsDDL = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version UInt32, name String, applied_at DateTime('UTC')
	) ENGINE = MergeTree() ORDER BY version`

// shardingKeys gives each table's Distributed sharding key. A new table
// needs an entry: rendering refuses a table without one. For a
// ReplacingMergeTree table the key must use sorting-key columns only
// (TestShardingKeysUseSortingKey checks it).
var shardingKeys = map[string]string{
	// raw facts: a change and its rows on one shard
	"raw_changes":   "cityHash64(source, project, number)",
	"raw_revisions": "cityHash64(source, project, number)",
	"raw_messages":  "cityHash64(source, project, number)",
	"raw_votes":     "cityHash64(source, project, number)",
	"raw_builds":    "cityHash64(source, system, build_id)",
	// bookkeeping
	"cursors":            "cityHash64(source)",
	"collector_runs_log": "cityHash64(source, run_id)",
	"schema_migrations":  "cityHash64(version)",
	"compute_runs":       "cityHash64(generation)",
	"compute_inputs":     "cityHash64(generation)",
	// derived tables: rewritten whole per generation, spread by entity
	"change_metrics_data":       "cityHash64(source, project, number)",
	"review_actions_data":       "cityHash64(source, project, number)",
	"builds_data":               "cityHash64(source, system, build_id)",
	"newcomers_data":            "cityHash64(source, person_id)",
	"review_backlog_daily_data": "cityHash64(source, project)",
	// key results
	"review_backlog_changes_data": "cityHash64(source, project, number)",
	"recorded_values":             "cityHash64(metric, at)",
	"key_results_log":             "cityHash64(evaluation)",
	"reviewer_waits_data":         "cityHash64(source, project, number)",
	"owner_firsts_data":           "cityHash64(source, owner_id)",
	"catalog_data":                "cityHash64(source, project)",
	// incremental compute: the masks of each unit, spread like the rows
	"change_masks":      "cityHash64(source, project, number)",
	"backlog_day_masks": "cityHash64(source, project)",
	"build_masks":       "cityHash64(source, system, build_id)",
	"newcomer_masks":    "cityHash64(source, person_id)",
}

// ShardingKey returns the sharding key of table's Distributed table; ok is
// false for a table without one.
func ShardingKey(table string) (key string, ok bool) {
	key, ok = shardingKeys[table]
	return key, ok
}

// ZooKeeperPath is the replication path of table's local part: the
// conventional /clickhouse/tables/{shard}/<database>/<table>, where the
// server fills in its {shard} macro.
func ZooKeeperPath(database, table string) string {
	return "/clickhouse/tables/{shard}/" + database + "/" + table
}

var (
	clusterName  = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	databaseName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	plainIdent   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// ClusterStatements renders every statement of m for cluster (see
// RenderForCluster), in order; for a Rebuild, the CREATE TABLE of each
// table's new local part (see RebuildLocal).
func (m Migration) ClusterStatements(cluster, database string) ([]string, error) {
	var out []string
	for i, stmt := range m.Statements {
		if m.Rebuild {
			r, err := RebuildLocal(stmt, cluster, database, m.Version)
			if err != nil {
				return nil, fmt.Errorf("migration %s, statement %d: %w", m.Name, i+1, err)
			}
			out = append(out, r)
			continue
		}
		r, err := RenderForCluster(stmt, cluster, database)
		if err != nil {
			return nil, fmt.Errorf("migration %s, statement %d: %w", m.Name, i+1, err)
		}
		out = append(out, r...)
	}
	return out, nil
}

// RenderForCluster rewrites one single-server statement for a cluster and
// returns the statements to run instead, in order. Table names in the
// result are qualified with database, because a distributed DDL query runs
// on each node in that node's default database.
//
//   - CREATE DATABASE: ON CLUSTER.
//   - CREATE TABLE t (...) ENGINE = XMergeTree(args) ...: two statements,
//     t_local with ReplicatedXMergeTree(path, '{replica}', args), and t, a
//     Distributed table AS t_local, both ON CLUSTER.
//   - CREATE VIEW: ON CLUSTER, its FROM and JOIN tables qualified (they are
//     the Distributed tables).
//   - DROP TABLE IF EXISTS v, for a view v (18.16 has no DROP VIEW):
//     ON CLUSTER, v qualified. A name with a sharding key is a table, whose
//     local part this would leave behind, and is refused.
//   - ALTER TABLE t ...: ON CLUSTER on t_local; when it changes columns, the
//     Distributed t is then dropped and created again AS t_local, because
//     ClickHouse 18.16 refuses an ALTER ON CLUSTER of a table that is not
//     replicated when the cluster's shards are.
//
// Anything else is refused, so that a new kind of statement in a migration
// gets a deliberate rendering. The statement must name its table without a
// database and without ON CLUSTER.
func RenderForCluster(stmt, cluster, database string) ([]string, error) {
	if !clusterName.MatchString(cluster) {
		return nil, fmt.Errorf("cluster name %q: want letters, digits, _, . and -", cluster)
	}
	if !databaseName.MatchString(database) {
		return nil, fmt.Errorf("database name %q: use letters, digits and '_'", database)
	}
	toks, err := tokenize(stmt)
	if err != nil {
		return nil, err
	}
	r := &renderer{src: stmt, toks: toks, cluster: cluster, db: database}
	switch {
	case r.keywords(0, "CREATE", "DATABASE"):
		return r.createDatabase()
	case r.keywords(0, "CREATE", "TABLE"):
		return r.createTable()
	case r.keywords(0, "CREATE", "VIEW"):
		return r.createView()
	case r.keywords(0, "ALTER", "TABLE"):
		return r.alterTable()
	case r.keywords(0, "DROP", "TABLE", "IF", "EXISTS"):
		return r.dropView()
	}
	return nil, fmt.Errorf("cannot render for a cluster: %s", head(stmt))
}

// AddedColumn tells whether stmt, as written or rendered for a cluster, is
// an ALTER TABLE that adds exactly one column, and names the database (""
// when the table is not qualified), the table and the column. ClickHouse
// 18.16 has no ADD COLUMN IF NOT EXISTS, so the migration runner looks for
// the column before it adds it and after a failure: on a cluster, a
// distributed DDL query that timed out still runs later on the nodes that
// missed it, and 18.16's DDLWorker can hang on an ALTER of a replicated
// table that fails because the column exists.
func AddedColumn(stmt string) (database, table, column string, ok bool) {
	toks, err := tokenize(stmt)
	if err != nil {
		return "", "", "", false
	}
	r := &renderer{src: stmt, toks: toks}
	if !r.keywords(0, "ALTER", "TABLE") {
		return "", "", "", false
	}
	i := 2
	if i+2 < len(toks) && toks[i].isName() && toks[i+1].text == "." { // db.table
		database = toks[i].name()
		i += 2
	}
	if i >= len(toks) || !toks[i].isName() {
		return "", "", "", false
	}
	table = toks[i].name()
	i++
	if r.keywords(i, "ON", "CLUSTER") {
		i += 3
	}
	actions := r.actions(i)
	if len(actions) != 1 || !r.keywords(actions[0], "ADD", "COLUMN") {
		return "", "", "", false
	}
	c := actions[0] + 2
	if c >= len(toks) || !toks[c].isName() {
		return "", "", "", false
	}
	return database, table, toks[c].name(), true
}

func head(stmt string) string {
	s := strings.Join(strings.Fields(stmt), " ")
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return s
}

// renderer holds one statement being rendered.
type renderer struct {
	src     string
	toks    []token
	cluster string
	db      string
}

// onCluster is the clause inserted after a name.
func (r *renderer) onCluster() string { return " ON CLUSTER " + QuoteIdent(r.cluster) }

func (r *renderer) qualified(name string) string { return r.db + "." + QuoteIdent(name) }

// keywords reports whether the tokens from i are the bare words kw.
func (r *renderer) keywords(i int, kw ...string) bool {
	for j, k := range kw {
		if i+j >= len(r.toks) || !r.toks[i+j].is(k) {
			return false
		}
	}
	return true
}

// ifNotExists skips IF NOT EXISTS at i.
func (r *renderer) ifNotExists(i int) int {
	if r.keywords(i, "IF", "NOT", "EXISTS") {
		return i + 3
	}
	return i
}

// tableName checks that token i is an unqualified name and returns the
// index after it.
func (r *renderer) tableName(i int) (int, bool) {
	if i >= len(r.toks) || !r.toks[i].isName() {
		return i, false
	}
	if i+1 < len(r.toks) && r.toks[i+1].text == "." {
		return i, false
	}
	return i + 1, true
}

// name reads the unqualified table name at i, refusing a qualified name or
// an existing ON CLUSTER; it returns the name and the index after it.
func (r *renderer) name(i int, what string) (string, int, error) {
	next, ok := r.tableName(i)
	if !ok {
		if i < len(r.toks) && r.toks[i].isName() {
			return "", 0, fmt.Errorf("%s: the migration names a database (%s...); write the name alone, the cluster rendering qualifies it", what, r.src[r.toks[i].start:r.toks[min(i+2, len(r.toks)-1)].end])
		}
		return "", 0, fmt.Errorf("%s: no name in %s", what, head(r.src))
	}
	if r.keywords(next, "ON", "CLUSTER") {
		return "", 0, fmt.Errorf("%s %s: already ON CLUSTER", what, r.toks[i].name())
	}
	return r.toks[i].name(), next, nil
}

func (r *renderer) createDatabase() ([]string, error) {
	i := r.ifNotExists(2)
	if i >= len(r.toks) || !r.toks[i].isName() {
		return nil, fmt.Errorf("CREATE DATABASE: no name in %s", head(r.src))
	}
	if r.keywords(i+1, "ON", "CLUSTER") {
		return nil, fmt.Errorf("CREATE DATABASE %s: already ON CLUSTER", r.toks[i].name())
	}
	end := r.toks[i].end
	return []string{r.src[:end] + r.onCluster() + r.src[end:]}, nil
}

func (r *renderer) createTable() ([]string, error) {
	nameAt := r.ifNotExists(2)
	table, i, err := r.name(nameAt, "CREATE TABLE")
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(table, LocalSuffix) {
		return nil, fmt.Errorf("CREATE TABLE %s: names ending in %s are kept for the local tables of a cluster", table, LocalSuffix)
	}
	key, ok := shardingKeys[table]
	if !ok {
		return nil, fmt.Errorf("CREATE TABLE %s: no sharding key for its Distributed table; add one to shardingKeys in sql/cluster.go", table)
	}
	if i >= len(r.toks) || r.toks[i].text != "(" {
		return nil, fmt.Errorf("CREATE TABLE %s: want a column list", table)
	}
	closing, err := r.matching(i)
	if err != nil {
		return nil, fmt.Errorf("CREATE TABLE %s: %w", table, err)
	}
	e := closing + 1
	if !r.keywords(e, "ENGINE") || e+2 >= len(r.toks) || r.toks[e+1].text != "=" || !r.toks[e+2].isName() {
		return nil, fmt.Errorf("CREATE TABLE %s: want ENGINE = after the column list", table)
	}
	engTok := r.toks[e+2]
	engine := engTok.name()
	if !strings.HasSuffix(engine, "MergeTree") || strings.HasPrefix(engine, "Replicated") {
		return nil, fmt.Errorf("CREATE TABLE %s: engine %s: only a MergeTree-family engine can be rendered for a cluster", table, engine)
	}
	var args string
	engEnd := engTok.end
	if a := e + 3; a < len(r.toks) && r.toks[a].text == "(" {
		c, err := r.matching(a)
		if err != nil {
			return nil, fmt.Errorf("CREATE TABLE %s: engine: %w", table, err)
		}
		args = strings.TrimSpace(r.src[r.toks[a].end:r.toks[c].start])
		engEnd = r.toks[c].end
	}
	replArgs := QuoteString(ZooKeeperPath(r.db, table)) + ", '{replica}'"
	if args != "" {
		replArgs += ", " + args
	}
	nameTok := r.toks[nameAt]
	local := r.src[:nameTok.start] + r.qualified(LocalTable(table)) + r.onCluster() +
		r.src[nameTok.end:engTok.start] + "Replicated" + engine + "(" + replArgs + ")" + r.src[engEnd:]
	dist := r.src[:nameTok.start] + r.distributed(table, key)
	return []string{local, dist}, nil
}

// distributed is the name, ON CLUSTER, AS and ENGINE of table's Distributed
// table, after "CREATE TABLE [IF NOT EXISTS] ".
func (r *renderer) distributed(table, key string) string {
	return r.qualified(table) + r.onCluster() + " AS " + r.qualified(LocalTable(table)) +
		"\nENGINE = Distributed(" + QuoteString(r.cluster) + ", " + QuoteString(r.db) + ", " +
		QuoteString(LocalTable(table)) + ", " + key + ")"
}

func (r *renderer) createView() ([]string, error) {
	nameAt := r.ifNotExists(2)
	view, i, err := r.name(nameAt, "CREATE VIEW")
	if err != nil {
		return nil, err
	}
	if !r.keywords(i, "AS") {
		return nil, fmt.Errorf("CREATE VIEW %s: want AS SELECT after the name", view)
	}
	nameTok := r.toks[nameAt]
	return []string{r.src[:nameTok.start] + r.qualified(view) + r.onCluster() + r.qualifyTables(nameTok.end, i)}, nil
}

// qualifyTables returns the text from byte pos on, with every table named
// after FROM or JOIN, from token i on, qualified with the database; except
// inside a function's parentheses, and a table function, a subquery or an
// already qualified name.
func (r *renderer) qualifyTables(pos, i int) string {
	var b strings.Builder
	// inCall[d] tells whether the parenthesis opened at depth d+1 is a
	// function call, where FROM is an argument keyword (EXTRACT(x FROM y)).
	var inCall []bool
	for j := i; j < len(r.toks); j++ {
		t := r.toks[j]
		switch t.text {
		case "(":
			call := j > 0 && r.toks[j-1].kind == tokIdent && !sqlKeywords[strings.ToUpper(r.toks[j-1].text)]
			inCall = append(inCall, call)
			continue
		case ")":
			if len(inCall) > 0 {
				inCall = inCall[:len(inCall)-1]
			}
			continue
		}
		if len(inCall) > 0 && inCall[len(inCall)-1] {
			continue
		}
		if !t.is("FROM") && !(t.is("JOIN") && !(j > 0 && r.toks[j-1].is("ARRAY"))) {
			continue
		}
		n := j + 1
		if n >= len(r.toks) || !r.toks[n].isName() || sqlKeywords[strings.ToUpper(r.toks[n].text)] && r.toks[n].kind == tokIdent {
			continue
		}
		if n+1 < len(r.toks) && (r.toks[n+1].text == "." || r.toks[n+1].text == "(") {
			continue
		}
		b.WriteString(r.src[pos:r.toks[n].start])
		b.WriteString(r.qualified(r.toks[n].name()))
		pos = r.toks[n].end
	}
	b.WriteString(r.src[pos:])
	return b.String()
}

func (r *renderer) alterTable() ([]string, error) {
	table, i, err := r.name(2, "ALTER TABLE")
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(table, LocalSuffix) {
		return nil, fmt.Errorf("ALTER TABLE %s: name the table, not its local part", table)
	}
	actions := r.actions(i)
	if len(actions) == 0 {
		return nil, fmt.Errorf("ALTER TABLE %s: no action", table)
	}
	nameTok := r.toks[2]
	out := []string{r.src[:nameTok.start] + r.qualified(LocalTable(table)) + r.onCluster() + r.src[nameTok.end:]}
	changesColumns := false
	for _, a := range actions {
		if r.keywords(a+1, "COLUMN") {
			switch {
			case r.toks[a].is("ADD"), r.toks[a].is("DROP"), r.toks[a].is("MODIFY"),
				r.toks[a].is("RENAME"), r.toks[a].is("COMMENT"):
				changesColumns = true
			}
		}
	}
	if !changesColumns {
		return out, nil
	}
	key, ok := shardingKeys[table]
	if !ok {
		return nil, fmt.Errorf("ALTER TABLE %s: no sharding key for its Distributed table; add one to shardingKeys in sql/cluster.go", table)
	}
	out = append(out,
		"DROP TABLE IF EXISTS "+r.qualified(table)+r.onCluster(),
		"CREATE TABLE IF NOT EXISTS "+r.distributed(table, key))
	return out, nil
}

// dropView renders DROP TABLE IF EXISTS of a view (see RenderForCluster).
func (r *renderer) dropView() ([]string, error) {
	view, i, err := r.name(4, "DROP TABLE")
	if err != nil {
		return nil, err
	}
	if i != len(r.toks) {
		return nil, fmt.Errorf("DROP TABLE %s: want nothing after the name", view)
	}
	if _, isTable := shardingKeys[view]; isTable {
		return nil, fmt.Errorf("DROP TABLE %s: only views can be dropped in a migration; %s is a table", view, view)
	}
	nameTok := r.toks[4]
	return []string{r.src[:nameTok.start] + r.qualified(view) + r.onCluster()}, nil
}

// actions returns the index of the first token of each comma-separated
// action of an ALTER, from token i.
func (r *renderer) actions(i int) []int {
	if i >= len(r.toks) {
		return nil
	}
	out := []int{i}
	depth := 0
	for j := i; j < len(r.toks); j++ {
		switch r.toks[j].text {
		case "(":
			depth++
		case ")":
			depth--
		case ",":
			if depth == 0 && j+1 < len(r.toks) {
				out = append(out, j+1)
			}
		}
	}
	return out
}

// matching returns the index of the ')' closing the '(' at i.
func (r *renderer) matching(i int) (int, error) {
	depth := 0
	for j := i; j < len(r.toks); j++ {
		switch r.toks[j].text {
		case "(":
			depth++
		case ")":
			depth--
			if depth == 0 {
				return j, nil
			}
		}
	}
	return 0, fmt.Errorf("unbalanced parentheses")
}

// sqlKeywords are words that may stand before '(' without calling a
// function, or after FROM without being a table.
var sqlKeywords = map[string]bool{
	"SELECT": true, "FROM": true, "WHERE": true, "PREWHERE": true, "AND": true, "OR": true, "NOT": true,
	"IN": true, "GLOBAL": true, "EXISTS": true, "JOIN": true, "ON": true, "USING": true, "AS": true,
	"ANY": true, "ALL": true, "HAVING": true, "WITH": true, "UNION": true, "WHEN": true, "THEN": true,
	"ELSE": true, "CASE": true, "BY": true, "IS": true, "LIKE": true, "BETWEEN": true, "INTERVAL": true,
	"ARRAY": true, "FINAL": true, "SAMPLE": true, "LIMIT": true, "DISTINCT": true, "TABLE": true,
}

// QuoteIdent quotes a name for ClickHouse SQL when it needs it.
func QuoteIdent(s string) string {
	if plainIdent.MatchString(s) {
		return s
	}
	return "`" + strings.NewReplacer(`\`, `\\`, "`", "\\`").Replace(s) + "`"
}

// QuoteString renders s as a ClickHouse string literal.
func QuoteString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// A minimal ClickHouse SQL tokenizer: enough to find names, keywords,
// parentheses and commas outside strings and comments, with the byte
// offsets of each token, so that rendering can splice the original text.

type tokKind int

const (
	tokIdent       tokKind = iota // bare word
	tokQuotedIdent                // `name` or "name"
	tokString                     // 'text'
	tokNumber
	tokPunct
)

type token struct {
	kind       tokKind
	text       string // as written
	start, end int
}

// is reports whether t is the bare word kw, in any case.
func (t token) is(kw string) bool { return t.kind == tokIdent && strings.EqualFold(t.text, kw) }

func (t token) isName() bool { return t.kind == tokIdent || t.kind == tokQuotedIdent }

// name is the identifier t spells, without quotes.
func (t token) name() string {
	if t.kind != tokQuotedIdent {
		return t.text
	}
	inner := t.text[1 : len(t.text)-1]
	q := t.text[:1]
	var b strings.Builder
	for i := 0; i < len(inner); i++ {
		c := inner[i]
		switch {
		case c == '\\' && i+1 < len(inner):
			i++
			b.WriteByte(inner[i])
		case string(c) == q && i+1 < len(inner) && string(inner[i+1]) == q:
			i++
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isWordStart(c byte) bool {
	return c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= 0x80
}

func isWordByte(c byte) bool { return isWordStart(c) || c >= '0' && c <= '9' || c == '$' }

func tokenize(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return nil, fmt.Errorf("unterminated comment at byte %d", i)
			}
			i += end + 4
		case c == '\'' || c == '`' || c == '"':
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == '\\' {
					j++
					continue
				}
				if s[j] == c {
					if j+1 < len(s) && s[j+1] == c {
						j++
						continue
					}
					break
				}
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated quote %c at byte %d", c, i)
			}
			kind := tokQuotedIdent
			if c == '\'' {
				kind = tokString
			}
			toks = append(toks, token{kind, s[i : j+1], i, j + 1})
			i = j + 1
		case isWordStart(c):
			j := i + 1
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			toks = append(toks, token{tokIdent, s[i:j], i, j})
			i = j
		case c >= '0' && c <= '9':
			j := i + 1
			for j < len(s) && (isWordByte(s[j]) || s[j] == '.') {
				j++
			}
			toks = append(toks, token{tokNumber, s[i:j], i, j})
			i = j
		default:
			toks = append(toks, token{tokPunct, s[i : i+1], i, i + 1})
			i++
		}
	}
	return toks, nil
}
