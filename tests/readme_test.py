#!/usr/bin/env python3
"""The README's tutorial ("Ten minutes with Decree"), followed literally on a fresh copy of the
examples and rulesets: every command block runs in order and succeeds.

    tests/readme_test.py BUILD_DIR SOURCE_DIR

The Decree blocks are the file the reader writes: step 1 saves the first as cash.decree,
step 4 adds the second (the analysis must report it redundant, D0403) and deletes it again,
step 5 adds the third. Step 12 reads the findings of the README's first command, which runs
first. The downloads of step 11 cannot reach the network here: `curl` is replaced by a function
that copies fictional lists in the same formats (tests/cases/run/sanctions/) to the same names.
"""
import os, re, shutil, subprocess, sys, tempfile

build, source = (os.path.abspath(a) for a in sys.argv[1:3])
readme = open(os.path.join(source, "README.md"), encoding="utf-8").read()
tutorial = readme[readme.index("## Ten minutes"):readme.index("## Documentation")]
blocks = re.findall(r"```(\w*)\n(.*?)```", tutorial, re.S)
first_command = re.search(r"```sh\n(.*?)\n", readme).group(1)
first_run = first_command.split("&&", 1)[1].strip()

fixtures = os.path.join(source, "tests", "cases", "run", "sanctions")
curl = f"""curl() {{
  local out= url=
  while [ $# -gt 0 ]; do case $1 in -o) out=$2; shift 2 ;; -*) shift ;; *) url=$1; shift ;; esac; done
  case $url in
    */consolidated.xml) cp {fixtures}/un_fixture.xml "$out" ;;
    */sdn.csv|*/alt.csv|*/add.csv) f=${{url##*/}}; cp {fixtures}/${{f%.csv}}_fixture.csv "$out" ;;
    *) echo "readme_test: no stand-in for $url" >&2; return 1 ;;
  esac
}}
"""

work = tempfile.mkdtemp(prefix="decree-readme-")
try:
    for d in ("examples", "rulesets"):
        shutil.copytree(os.path.join(source, d), os.path.join(work, d))
    os.symlink(build, os.path.join(work, "build"))

    def sh(script, expect=0, what=""):
        r = subprocess.run(["bash", "-eo", "pipefail", "-c", curl + script], cwd=work, capture_output=True, text=True)
        if r.returncode != expect:
            sys.exit(f"readme_test: {what or script!r} exited {r.returncode}, not {expect}\n{r.stdout}\n{r.stderr}")
        return r

    sh(first_run, what="the README's first command")
    decree_blocks = [b for lang, b in blocks if lang == "decree"]
    if len(decree_blocks) != 3:
        sys.exit(f"readme_test: expected 3 Decree blocks in the tutorial (steps 1, 4, 5), found {len(decree_blocks)}")
    cash = os.path.join(work, "cash.decree")
    steps = 0
    for lang, body in blocks:
        if lang == "decree":
            if body == decree_blocks[0]:
                open(cash, "w", encoding="utf-8").write(body)
            elif body == decree_blocks[1]:  # step 4: redundant, then deleted
                kept = open(cash, encoding="utf-8").read()
                open(cash, "a", encoding="utf-8").write("\n" + body)
                r = sh("./build/decree check cash.decree --no-cache", expect=1, what="step 4's check")
                if "D0403" not in r.stderr:
                    sys.exit("readme_test: step 4: the analysis did not report the redundant rule (D0403)\n" + r.stderr)
                open(cash, "w", encoding="utf-8").write(kept)
            else:
                open(cash, "a", encoding="utf-8").write("\n" + body)
        elif lang == "sh":
            sh(body)
            steps += 1
    print(f"readme_test: the first command and {steps} command blocks of the tutorial ran in order and succeeded")
finally:
    shutil.rmtree(work, ignore_errors=True)
