package dashboards

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	gapi "github.com/grafana/grafana-api-golang-client"
)

// ClickHouse is the ClickHouse server as Grafana reaches it, for the data
// source.
type ClickHouse struct {
	// Addr is host:port of the native protocol.
	Addr     string
	Database string
	Username string
	// Password, when set, is sent in the data source's secureJsonData.
	Password string
	// Secure makes the plugin use TLS.
	Secure bool
}

// ProvisionOptions says what to provision where.
type ProvisionOptions struct {
	// URL is Grafana's base URL, without credentials.
	URL string
	// Token is a Grafana service account token (Bearer).
	Token string
	// FolderTitle is the title of the folder (uid FolderUID).
	FolderTitle string
	ClickHouse  ClickHouse
	Dashboards  []Dashboard
	// Alerts provisions the alert rules (AlertRules) as well.
	Alerts bool
	// UpdatePassword sends the ClickHouse password even when the data
	// source is otherwise unchanged: Grafana never returns a stored
	// password, so a changed password cannot be detected.
	UpdatePassword bool
	// HTTPClient, when set, makes the requests (a custom TLS setup, say);
	// its Timeout applies. The default times out after 30 seconds.
	HTTPClient *http.Client
}

// Action says what provisioning did to one object.
type Action string

// Actions.
const (
	Created   Action = "created"
	Updated   Action = "updated"
	Unchanged Action = "unchanged"
)

// Change is what provisioning did to one Grafana object.
type Change struct {
	Kind   string // data source, folder, dashboard, alert rule group
	UID    string
	Title  string
	Action Action
}

// Provision creates or updates, in order, the ClickHouse data source, the
// folder, every dashboard (with overwrite) and the alert rules. It
// compares each with what Grafana has and writes only what differs, so a
// second run with nothing changed writes nothing. Errors name the Grafana
// URL and what Grafana said, never the token.
func Provision(ctx context.Context, o ProvisionOptions) ([]Change, error) {
	p, err := newProvisioner(ctx, o)
	if err != nil {
		return nil, err
	}
	var changes []Change
	steps := []func() (Change, error){p.dataSource, p.folder}
	for _, d := range o.Dashboards {
		steps = append(steps, func() (Change, error) { return p.dashboard(d) })
	}
	if o.Alerts {
		steps = append(steps, p.alertRules)
	}
	for _, step := range steps {
		c, err := step()
		if err != nil {
			return changes, err
		}
		changes = append(changes, c)
	}
	return changes, nil
}

type provisioner struct {
	o      ProvisionOptions
	client *gapi.Client
	// where names Grafana in errors: its URL without credentials.
	where string
}

func newProvisioner(ctx context.Context, o ProvisionOptions) (*provisioner, error) {
	u, err := url.Parse(o.URL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("grafana url %q: want a base URL such as http://127.0.0.1:3000", redactURL(o.URL))
	}
	if u.User != nil {
		return nil, fmt.Errorf("grafana url %s: credentials in the URL are not supported; use grafana.token_env", redactURL(o.URL))
	}
	if o.Token == "" {
		return nil, fmt.Errorf("grafana %s: no token; set grafana.token_env (a service account token with the Editor or Admin role)", u)
	}
	if o.ClickHouse.Password != "" && os.Getenv("GF_LOG") != "" {
		// grafana-api-golang-client logs every request body when GF_LOG is
		// set; the data source's body carries the ClickHouse password.
		return nil, errors.New("GF_LOG is set: the Grafana client would log request bodies, which hold the ClickHouse password; unset GF_LOG")
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	if o.HTTPClient != nil {
		c := *o.HTTPClient
		hc = &c
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	hc.Transport = ctxTransport{ctx: ctx, base: base}
	client, err := gapi.New(u.String(), gapi.Config{APIKey: o.Token, Client: hc})
	if err != nil {
		return nil, fmt.Errorf("grafana %s: %w", u, err)
	}
	return &provisioner{o: o, client: client, where: u.String()}, nil
}

// ctxTransport binds the client's requests to ctx: the Grafana client
// takes no context.
type ctxTransport struct {
	ctx  context.Context
	base http.RoundTripper
}

func (t ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return t.base.RoundTrip(r.WithContext(t.ctx))
}

// fail wraps an error of the Grafana client: it names Grafana and the
// step, says what Grafana answered, and never carries the token.
func (p *provisioner) fail(step string, err error) error {
	msg := grafanaSaid(err)
	if p.o.Token != "" {
		msg = strings.ReplaceAll(msg, p.o.Token, "[token]")
	}
	return &Error{URL: p.where, Step: step, Message: msg, err: err}
}

// Error is a failed provisioning step.
type Error struct {
	// URL is Grafana's URL, without credentials.
	URL string
	// Step says what codepace was doing.
	Step string
	// Message is what Grafana answered (or the transport error).
	Message string
	err     error
}

// Error says which Grafana, which step, and what Grafana answered.
func (e *Error) Error() string {
	return fmt.Sprintf("grafana %s: %s: %s", e.URL, e.Step, e.Message)
}

// Unwrap returns the Grafana client's error.
func (e *Error) Unwrap() error { return e.err }

var statusBody = regexp.MustCompile(`(?s)^status: (\d+), body: (.*)$`)

// grafanaSaid turns the client's "status: 403, body: {...}" into
// "HTTP 403: <Grafana's message>".
func grafanaSaid(err error) string {
	var nf gapi.ErrNotFound
	if errors.As(err, &nf) {
		return "HTTP 404: " + bodyMessage(nf.BodyContents)
	}
	if m := statusBody.FindStringSubmatch(err.Error()); m != nil {
		return "HTTP " + m[1] + ": " + bodyMessage([]byte(m[2]))
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error() // without the URL, already named
	}
	return err.Error()
}

// bodyMessage is Grafana's `message` from an error body, else the body.
func bodyMessage(body []byte) string {
	var m struct {
		Message string `json:"message"`
		Error   string `json:"error"`
	}
	if json.Unmarshal(body, &m) == nil && m.Message != "" {
		if m.Error != "" && m.Error != m.Message {
			return m.Message + " (" + m.Error + ")"
		}
		return m.Message
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	if s == "" {
		s = "(empty answer)"
	}
	return s
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	return u.String()
}

func isNotFound(err error) bool {
	var nf gapi.ErrNotFound
	return errors.As(err, &nf)
}

// dataSourceJSON is the plugin's jsonData for o.
func (p *provisioner) dataSourceJSON() (map[string]any, error) {
	host, port, err := net.SplitHostPort(p.o.ClickHouse.Addr)
	if err != nil {
		return nil, fmt.Errorf("clickhouse address %q for Grafana: want host:port of the native protocol: %w", p.o.ClickHouse.Addr, err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return nil, fmt.Errorf("clickhouse address %q for Grafana: port %q is not a number", p.o.ClickHouse.Addr, port)
	}
	jd := map[string]any{
		"host":            host,
		"port":            n,
		"protocol":        "native",
		"secure":          p.o.ClickHouse.Secure,
		"username":        p.o.ClickHouse.Username,
		"defaultDatabase": p.o.ClickHouse.Database,
	}
	return jd, nil
}

func (p *provisioner) dataSource() (Change, error) {
	c := Change{Kind: "data source", UID: DataSourceUID, Title: DataSourceName}
	jd, err := p.dataSourceJSON()
	if err != nil {
		return c, err
	}
	want := &gapi.DataSource{
		UID: DataSourceUID, Name: DataSourceName, Type: PluginID, Access: "proxy",
		JSONData: jd,
	}
	if p.o.ClickHouse.Password != "" {
		want.SecureJSONData = map[string]any{"password": p.o.ClickHouse.Password}
	}
	have, err := p.client.DataSourceByUID(DataSourceUID)
	switch {
	case isNotFound(err):
		if _, err := p.client.NewDataSource(want); err != nil {
			return c, p.fail("create data source "+DataSourceUID, err)
		}
		c.Action = Created
		return c, nil
	case err != nil:
		return c, p.fail("read data source "+DataSourceUID, err)
	}
	if have.Name == want.Name && have.Type == want.Type && have.Access == want.Access &&
		subset(normalize(want.JSONData), normalize(have.JSONData)) && !p.o.UpdatePassword {
		c.Action = Unchanged
		return c, nil
	}
	want.ID = have.ID
	want.IsDefault = have.IsDefault
	if err := p.client.UpdateDataSourceByUID(want); err != nil {
		return c, p.fail("update data source "+DataSourceUID, err)
	}
	c.Action = Updated
	return c, nil
}

func (p *provisioner) folder() (Change, error) {
	c := Change{Kind: "folder", UID: FolderUID, Title: p.o.FolderTitle}
	have, err := p.client.FolderByUID(FolderUID)
	switch {
	case isNotFound(err):
		if _, err := p.client.NewFolder(p.o.FolderTitle, FolderUID); err != nil {
			return c, p.fail("create folder "+FolderUID, err)
		}
		c.Action = Created
		return c, nil
	case err != nil:
		return c, p.fail("read folder "+FolderUID, err)
	}
	if have.Title == p.o.FolderTitle {
		c.Action = Unchanged
		return c, nil
	}
	if err := p.client.UpdateFolder(FolderUID, p.o.FolderTitle); err != nil {
		return c, p.fail("rename folder "+FolderUID, err)
	}
	c.Action = Updated
	return c, nil
}

func (p *provisioner) dashboard(d Dashboard) (Change, error) {
	c := Change{Kind: "dashboard", UID: d.UID(), Title: d.Title()}
	model, err := d.Map()
	if err != nil {
		return c, err
	}
	have, err := p.client.DashboardByUID(d.UID())
	switch {
	case isNotFound(err):
		c.Action = Created
	case err != nil:
		return c, p.fail("read dashboard "+d.UID(), err)
	default:
		if have.Meta.FolderUID == FolderUID && subset(model, normalize(have.Model)) {
			c.Action = Unchanged
			return c, nil
		}
		c.Action = Updated
	}
	_, err = p.client.NewDashboard(gapi.Dashboard{
		Model:     model,
		FolderUID: FolderUID,
		Overwrite: true,
		Message:   "codepace provision",
	})
	if err != nil {
		return c, p.fail("save dashboard "+d.UID(), err)
	}
	return c, nil
}

func (p *provisioner) alertRules() (Change, error) {
	want := AlertRules(FolderUID, DataSourceUID)
	c := Change{Kind: "alert rule group", UID: FolderUID + "/" + want.Title, Title: want.Title}
	have, err := p.client.AlertRuleGroup(FolderUID, want.Title)
	switch {
	case isNotFound(err):
		c.Action = Created
	case err != nil:
		return c, p.fail("read alert rule group "+want.Title, err)
	default:
		if sameRuleGroup(want, have) {
			c.Action = Unchanged
			return c, nil
		}
		c.Action = Updated
	}
	if err := p.client.SetAlertRuleGroup(want); err != nil {
		return c, p.fail("save alert rule group "+want.Title, err)
	}
	return c, nil
}

// ruleView is what codepace sets on an alert rule, for comparison.
type ruleView struct {
	UID, Title, FolderUID, RuleGroup, Condition, For string
	NoDataState, ExecErrState                        string
	Labels, Annotations                              map[string]string
	IsPaused                                         bool
}

// sameRuleGroup reports whether Grafana's group has codepace's rules as
// codepace sets them; what Grafana adds (ids, update times, provenance,
// query model defaults) does not count.
func sameRuleGroup(want, have gapi.RuleGroup) bool {
	if want.Interval != have.Interval || len(want.Rules) != len(have.Rules) {
		return false
	}
	for i := range want.Rules {
		w, h := want.Rules[i], have.Rules[i]
		if w.For == "" {
			w.For = "0s"
		}
		view := func(r gapi.AlertRule) ruleView {
			return ruleView{r.UID, r.Title, r.FolderUID, r.RuleGroup, r.Condition, normalizeFor(r.For),
				string(r.NoDataState), string(r.ExecErrState), nonNil(r.Labels), nonNil(r.Annotations), r.IsPaused}
		}
		if !reflect.DeepEqual(view(w), view(h)) || len(w.Data) != len(h.Data) {
			return false
		}
		for j := range w.Data {
			wq, hq := w.Data[j], h.Data[j]
			if wq.RefID != hq.RefID || wq.DatasourceUID != hq.DatasourceUID || wq.QueryType != hq.QueryType ||
				wq.RelativeTimeRange != hq.RelativeTimeRange || !subset(normalize(wq.Model), normalize(hq.Model)) {
				return false
			}
		}
	}
	return true
}

// normalizeFor writes a rule's pending period as Grafana answers it.
func normalizeFor(s string) string {
	if s == "" || s == "0" {
		return "0s"
	}
	return s
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// normalize passes v through JSON, so numbers are float64 and structs
// maps, as in what Grafana answers.
func normalize(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil
	}
	return out
}

// subset reports whether want is contained in have, both as decoded from
// JSON (normalize): every key of every
// object of want is in have with a value that is (recursively) contained,
// arrays have the same length and contain each other element-wise, other
// values are equal. Keys Grafana adds (id, version, defaults) are
// ignored; anything codepace sets and Grafana lost or changed is not.
func subset(want, have any) bool {
	switch w := want.(type) {
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			hv, ok := h[k]
			if !ok || !subset(wv, hv) {
				return false
			}
		}
		return true
	case []any:
		h, ok := have.([]any)
		if !ok || len(h) != len(w) {
			return false
		}
		for i := range w {
			if !subset(w[i], h[i]) {
				return false
			}
		}
		return true
	default:
		return reflect.DeepEqual(want, have)
	}
}
