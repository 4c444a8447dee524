# chart.awk - turns dal_bench --json lines into the two data files chart.gp
# draws (variables four and scale name them):
#   four:  op  sqlite-generated  sqlite-hand-written  memory      (ops/s)
#   scale: n   sqlite-pending  memory-pending  sqlite-since  memory-since (us/query)
function field(line, key,   m) {
  if (match(line, "\"" key "\":(\"[^\"]*\"|[0-9.eE+-]+)")) {
    m = substr(line, RSTART + length(key) + 3, RLENGTH - length(key) - 3)
    gsub(/"/, "", m)
    return m
  }
  return ""
}
# the task queue's rows (workers, threads) are not drawn
field($0, "workers") != "" || field($0, "threads") != "" { next }
{
  op = field($0, "op"); be = field($0, "backend"); ops = field($0, "ops_per_s"); n = field($0, "n")
  if (n == "") {
    if (!(op in seen)) { seen[op] = 1; order[++k] = op }
    val[op, be] = ops
    if (be == "sqlite") base[op] = field($0, "baseline_ops_per_s")
  } else {
    if (!(n in seenn)) { seenn[n] = 1; ns[++m] = n }
    us[n, op, be] = 1e6 / ops
  }
}
END {
  for (i = 1; i <= k; i++) {
    o = order[i]; label = o; gsub(/_/, " ", label)
    printf "\"%s\" %s %s %s\n", label, val[o, "sqlite"], base[o], val[o, "memory"] > four
  }
  for (i = 1; i <= m; i++) {
    n = ns[i]
    printf "%s %.3f %.3f %.3f %.3f\n", n, us[n, "task_pending", "sqlite"], us[n, "task_pending", "memory"],
           us[n, "event_since", "sqlite"], us[n, "event_since", "memory"] > scale
  }
}
