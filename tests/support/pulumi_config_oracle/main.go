// Command pulumi_config_oracle reads stack files the way the Pulumi CLI does and prints, as JSON, what a program
// would receive for each config key. It is the oracle for tools/pulumi_yaml.py: tests/support/pulumi_yaml_oracle.py
// builds it (into $HOME/.cache/spinnaker-ecr/oracle) and runs it over the cases in tests/support/pulumi_yaml_cases.json.
//
// Input on stdin: {"project": "<path to Pulumi.yaml>", "cases": [{"name": "...", "text": "..."}, ...]}.
// Output on stdout: [{"name": "...", "config": {"ns:key": "value as the program gets it"}, "secure": ["ns:key"],
// "warnings": "..."} or {"name": "...", "error": "..."}, ...] in the order of the input.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

type input struct {
	Project string `json:"project"`
	Cases   []struct {
		Name string `json:"name"`
		Text string `json:"text"`
	} `json:"cases"`
}

type result struct {
	Name     string            `json:"name"`
	Config   map[string]string `json:"config,omitempty"`
	Secure   []string          `json:"secure,omitempty"`
	Warnings string            `json:"warnings,omitempty"`
	Error    *string           `json:"error,omitempty"`
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fmt.Fprintln(os.Stderr, "pulumi_config_oracle: reading the cases from stdin:", err)
		os.Exit(2)
	}
	project, err := workspace.LoadProject(in.Project)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pulumi_config_oracle:", err)
		os.Exit(2)
	}
	dir, err := os.MkdirTemp("", "pulumi-config-oracle-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "pulumi_config_oracle:", err)
		os.Exit(2)
	}
	defer os.RemoveAll(dir)

	results := make([]result, 0, len(in.Cases))
	for _, c := range in.Cases {
		path := filepath.Join(dir, "Pulumi.oracle.yaml")
		if err := os.WriteFile(path, []byte(c.Text), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, "pulumi_config_oracle:", err)
			os.Exit(2)
		}
		results = append(results, load(c.Name, project, path))
	}
	out := json.NewEncoder(os.Stdout)
	out.SetEscapeHTML(false)
	out.SetIndent("", "  ")
	if err := out.Encode(results); err != nil {
		fmt.Fprintln(os.Stderr, "pulumi_config_oracle:", err)
		os.Exit(2)
	}
}

// load reads one stack file with the loader `pulumi preview` uses and decrypts nothing: a secure value stays
// ciphertext, as NopDecrypter leaves it.
func load(name string, project *workspace.Project, path string) (r result) {
	r.Name = name
	defer func() {
		// The SDK asserts (panics) on some inputs; that is an error the CLI would report too.
		if p := recover(); p != nil {
			msg := fmt.Sprintf("panic: %v", p)
			r = result{Name: name, Error: &msg}
		}
	}()
	var warnings bytes.Buffer
	sink := diag.DefaultSink(&warnings, &warnings, diag.FormatOptions{Color: colors.Never})
	stack, err := workspace.LoadProjectStack(sink, project, path)
	if err == nil {
		var values map[config.Key]string
		values, err = stack.Config.Decrypt(config.NopDecrypter)
		if err == nil {
			r.Config = make(map[string]string, len(values))
			for key, value := range values {
				r.Config[key.String()] = value
			}
			for _, key := range stack.Config.SecureKeys() {
				r.Secure = append(r.Secure, key.String())
			}
			sort.Strings(r.Secure)
		}
	}
	if err != nil {
		msg := err.Error()
		r.Error = &msg
		r.Config = nil
	}
	r.Warnings = strings.TrimSpace(warnings.String())
	return r
}
