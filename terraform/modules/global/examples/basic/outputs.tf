output "cluster_settings_sql" {
  description = "Run on a node after `cockroach init`."
  value       = module.global.cluster_settings_sql
}

output "core_network" {
  description = "Pass to each region module's core_network."
  value       = module.global.core_network
}
