output "edge_lb_dns_name" {
  description = "Point a test DNS name at this to reach the region's edges."
  value       = module.region.edge_lb.dns_name
}

output "database_nodes" {
  description = "The region's CockroachDB nodes and their localities."
  value       = module.region.database_nodes
}
