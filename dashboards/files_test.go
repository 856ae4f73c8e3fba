package dashboards

import (
	"os"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestFileProvisioning checks the provisioning files for Grafana run from
// config: they create the data source and folder the dashboards use.
func TestFileProvisioning(t *testing.T) {
	read := func(file string, v any) {
		t.Helper()
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	var ds struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name, UID, Type, Access string
			JSONData                map[string]any `yaml:"jsonData"`
			SecureJSONData          map[string]any `yaml:"secureJsonData"`
		}
	}
	read("../deploy/grafana/provisioning/datasources/codepace.yaml", &ds)
	if ds.APIVersion != 1 || len(ds.Datasources) != 1 {
		t.Fatalf("data sources: %+v", ds)
	}
	d := ds.Datasources[0]
	if d.UID != DataSourceUID || d.Type != PluginID || d.Name != DataSourceName || d.Access != "proxy" {
		t.Errorf("data source %+v", d)
	}
	for _, k := range []string{"host", "port", "username", "defaultDatabase"} {
		if d.JSONData[k] == nil {
			t.Errorf("data source jsonData lacks %s", k)
		}
	}
	if d.JSONData["protocol"] != "native" || d.JSONData["password"] != nil {
		t.Errorf("data source jsonData %v", d.JSONData)
	}
	if pw, _ := d.SecureJSONData["password"].(string); pw == "" || pw[0] != '$' {
		t.Errorf("the password comes from the environment: %v", d.SecureJSONData)
	}

	var dp struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Type, Folder string
			FolderUID    string         `yaml:"folderUid"`
			Options      map[string]any `yaml:"options"`
		}
	}
	read("../deploy/grafana/provisioning/dashboards/codepace.yaml", &dp)
	if dp.APIVersion != 1 || len(dp.Providers) != 1 {
		t.Fatalf("dashboard providers: %+v", dp)
	}
	p := dp.Providers[0]
	if p.Type != "file" || p.FolderUID != FolderUID || p.Folder != DefaultFolderTitle || p.Options["path"] == nil {
		t.Errorf("dashboard provider %+v", p)
	}

	var al struct {
		Groups []struct {
			Folder string
			Rules  []struct{ UID string }
		}
	}
	read(AlertingFile, &al)
	if len(al.Groups) != 1 || al.Groups[0].Folder != DefaultFolderTitle || len(al.Groups[0].Rules) != 2 {
		t.Errorf("alerting file %+v", al)
	}
}
