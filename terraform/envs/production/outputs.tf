output "regions" {
  description = "The region module instances, by name: AWS region, zones and edge load balancer."
  value = {
    for r in local.regions : r.name => {
      aws_region  = r.aws_region
      edge_lb     = r.edge_lb_dns_name
      core        = r.core_endpoint
      vpc_cidr    = r.vpc_cidr
      database_at = r.database_join
    }
  }
}

output "region_folders" {
  description = "The folders of regions/ the instances were checked against."
  value       = local.region_folders
}

output "availability_zones" {
  description = "The zones of each region."
  value       = { for r in local.regions : r.name => r.zones }
}

output "cluster_settings_sql" {
  description = "Run on a CockroachDB node after `cockroach init`, and after adding a region."
  value       = module.global.cluster_settings_sql
}
