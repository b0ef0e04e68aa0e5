output "core_network" {
  description = "The core network the region modules attach to (pass to their core_network input). Its id is taken from the policy attachment, so attachments wait for the policy that places them."
  value = {
    id  = aws_networkmanager_core_network_policy_attachment.this.core_network_id
    arn = aws_networkmanager_core_network.this.arn
  }
}

output "shopper_domain" {
  description = "The latency-routed name shoppers use."
  value       = var.domain_name
}

output "region_domains" {
  description = "Each region's own name (<region>.<domain>), by region."
  value       = { for name, r in aws_route53_record.region : name => r.name }
}

output "health_check_ids" {
  description = "Route 53 health check ids of the regions' edges, by region."
  value       = { for name, h in aws_route53_health_check.edge : name => h.id }
}

output "database_regions" {
  description = "The database's regions: the primary first."
  value       = concat([local.primary_region], [for r in var.regions : r.name if r.name != local.primary_region])
}

output "cluster_settings_sql" {
  description = "The SQL that sets the database's regions, survival goal and placement."
  value       = local.cluster_settings_sql
}

output "backup_schedule_sql" {
  description = "The SQL that creates the database's scheduled backups (locality-aware, with revision history) into the regions' buckets."
  value       = local.backup_schedule_sql
}
