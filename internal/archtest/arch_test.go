package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "qkdchat"

// Limits from issue 13. The ledger is one coherent job and exempt.
const (
	maxMethods      = 25
	maxPackageLines = 3000
)

var exempt = map[string]bool{"ledger": true}

// pkg is what the checks need to know of one directory's non-test files.
type pkg struct {
	dir     string // relative to the module root, "." for main
	lines   int    // non-test lines
	imports map[string]bool
	methods map[string]int // receiver type -> methods
	hasDoc  bool           // doc.go carries the package comment
	name    string
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root %s: %v", root, err)
	}
	return root
}

func loadPackages(t *testing.T) map[string]*pkg {
	t.Helper()
	root := moduleRoot(t)
	pkgs := map[string]*pkg{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			n := d.Name()
			if p != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "bin" || n == "dist" || n == "clocale") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(p))
		rel = filepath.ToSlash(rel)
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, src, parser.ParseComments)
		if err != nil {
			return err
		}
		k := pkgs[rel]
		if k == nil {
			k = &pkg{dir: rel, imports: map[string]bool{}, methods: map[string]int{}, name: f.Name.Name}
			pkgs[rel] = k
		}
		k.lines += strings.Count(string(src), "\n")
		if filepath.Base(p) == "doc.go" && f.Doc != nil && strings.TrimSpace(f.Doc.Text()) != "" {
			k.hasDoc = true
		}
		for _, im := range f.Imports {
			s, _ := strconv.Unquote(im.Path.Value)
			k.imports[s] = true
		}
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || len(fd.Recv.List) == 0 {
				continue
			}
			if name := receiverName(fd.Recv.List[0].Type); name != "" {
				k.methods[name]++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 10 {
		t.Fatalf("found only %d packages under %s; the walk is broken", len(pkgs), root)
	}
	return pkgs
}

func receiverName(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.StarExpr:
		return receiverName(x.X)
	case *ast.IndexExpr:
		return receiverName(x.X)
	case *ast.IndexListExpr:
		return receiverName(x.X)
	case *ast.Ident:
		return x.Name
	}
	return ""
}

func sortedDirs(pkgs map[string]*pkg) []string {
	dirs := make([]string, 0, len(pkgs))
	for d := range pkgs {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	return dirs
}

func TestNoTypeHasTooManyMethods(t *testing.T) {
	pkgs := loadPackages(t)
	for _, d := range sortedDirs(pkgs) {
		if exempt[d] {
			continue
		}
		for typ, n := range pkgs[d].methods {
			if n > maxMethods {
				t.Errorf("%s.%s has %d methods (at most %d): split it by concern", d, typ, n, maxMethods)
			}
		}
	}
}

func TestNoPackageIsTooLong(t *testing.T) {
	pkgs := loadPackages(t)
	for _, d := range sortedDirs(pkgs) {
		if exempt[d] {
			continue
		}
		if n := pkgs[d].lines; n > maxPackageLines {
			t.Errorf("package %s has %d non-test lines (at most %d): split off a part that stands alone", d, n, maxPackageLines)
		}
	}
}

func TestEveryPackageSaysItsJobInDocGo(t *testing.T) {
	pkgs := loadPackages(t)
	for _, d := range sortedDirs(pkgs) {
		if d == "." {
			continue // package main: main.go's comment says what the binary is
		}
		if !pkgs[d].hasDoc {
			t.Errorf("package %s has no doc.go with a package comment saying its one job", d)
		}
	}
}

// frontEnds may import only the node facade, their own sub-packages and
// what is listed here from the module: a name is that package alone, a
// name ending in "/" is everything below it. The BB84 engine's public API
// (qkd, and the analytic key rates of qkd/keyrate) is a front end's to
// show, as `simulate`, `keyrate` and the BB84 tab do; its sub-packages
// are internals.
var frontEnds = map[string][]string{
	"ui":  {"node", "node/audit", "ui/", "assets", "qkd", "qkd/keyrate"},
	"cli": {"node", "node/audit", "cli/", "bench", "qkd", "qkd/keyrate"},
}

// below lists packages that must never import the ones named: the layers
// point down, and delivery never sees the clinic's rules.
var below = map[string][]string{
	"delivery":   {"telehealth", "node", "ui", "cli", "bench"},
	"session":    {"telehealth", "delivery", "node", "ui", "cli", "bench"},
	"transport":  {"ledger", "qkd", "store", "session", "delivery", "telehealth", "node", "ui", "cli", "bench"},
	"identity":   {"ledger", "qkd", "transport", "store", "session", "delivery", "telehealth", "node", "ui", "cli", "bench"},
	"ledger":     {"qkd", "transport", "store", "session", "delivery", "telehealth", "node", "ui", "cli", "bench"},
	"qkd":        {"ledger", "transport", "store", "session", "delivery", "telehealth", "node", "ui", "cli", "bench", "identity"},
	"telehealth": {"transport", "store", "session", "delivery", "node", "ui", "cli", "bench", "qkd"},
	"store":      {"session", "delivery", "node", "ui", "cli", "bench"},
	"node":       {"ui", "cli", "bench"},
}

func within(dir, prefix string) bool {
	if strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(dir, prefix)
	}
	return dir == prefix || strings.HasPrefix(dir, prefix+"/")
}

func internalImport(im string) (string, bool) {
	if im == module {
		return ".", true
	}
	if rest, ok := strings.CutPrefix(im, module+"/"); ok {
		return rest, true
	}
	return "", false
}

// forbiddenAnywhereInFrontEnds are third-party packages that belong to the
// engine: a front end that needs them is going around the facade.
var forbiddenAnywhereInFrontEnds = []string{
	"go.etcd.io/bbolt",
	"github.com/fernet/fernet-go",
	"golang.org/x/mod/sumdb/tlog",
}

func TestFrontEndsUseOnlyTheNodeFacade(t *testing.T) {
	pkgs := loadPackages(t)
	for fe, allowed := range frontEnds {
		if _, ok := pkgs[fe]; !ok {
			t.Errorf("front end %s not found", fe)
			continue
		}
		for _, d := range sortedDirs(pkgs) {
			if !within(d, fe) {
				continue
			}
			for im := range pkgs[d].imports {
				for _, bad := range forbiddenAnywhereInFrontEnds {
					if im == bad || strings.HasPrefix(im, bad+"/") {
						t.Errorf("%s imports %s: front ends go through the node facade", d, im)
					}
				}
				rel, ok := internalImport(im)
				if !ok {
					continue
				}
				ok = within(rel, fe)
				for _, a := range allowed {
					if rel == a || strings.HasSuffix(a, "/") && strings.HasPrefix(rel, a) {
						ok = true
					}
				}
				if !ok {
					t.Errorf("%s imports %s: front ends import only the node facade (and %v)", d, im, allowed)
				}
			}
		}
	}
}

func TestDependenciesPointDown(t *testing.T) {
	pkgs := loadPackages(t)
	for _, d := range sortedDirs(pkgs) {
		for layer, banned := range below {
			if !within(d, layer) {
				continue
			}
			for im := range pkgs[d].imports {
				rel, ok := internalImport(im)
				if !ok {
					continue
				}
				for _, b := range banned {
					if within(rel, b) {
						t.Errorf("%s imports %s, which sits above it", d, im)
					}
				}
			}
		}
	}
}

// TestTheChecksSeeTheModule guards the guards: if the walk or the parser
// stopped seeing methods or imports, every check above would pass vacuously.
func TestTheChecksSeeTheModule(t *testing.T) {
	pkgs := loadPackages(t)
	led, ok := pkgs["ledger"]
	if !ok {
		t.Fatal("ledger package not found")
	}
	if led.methods["Ledger"] < 10 {
		t.Errorf("ledger.Ledger has %d methods by this count; the counter is broken", led.methods["Ledger"])
	}
	if !pkgs["."].imports[path.Join(module, "node")] && !pkgs["."].imports[path.Join(module, "app")] {
		t.Errorf("main imports neither the node facade nor app: %v", pkgs["."].imports)
	}
}
