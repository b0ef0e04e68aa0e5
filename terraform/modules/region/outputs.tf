output "name" {
  description = "The platform region's name (its folder in regions/)."
  value       = var.name
}

output "aws_region" {
  description = "The AWS region the module runs in."
  value       = local.aws_region
}

output "availability_zones" {
  description = "The three zones the region spreads over."
  value       = local.azs
}

output "vpc_id" {
  description = "The region's VPC."
  value       = aws_vpc.this.id
}

output "subnet_cidrs" {
  description = "Subnet ranges by tier (public, edge, core, database), one per zone."
  value       = local.subnets
}

output "subnet_ids" {
  description = "Subnet ids by tier, one per zone."
  value = merge(
    { public = aws_subnet.public[*].id },
    { for tier in local.private_tiers : tier => [for i in range(3) : aws_subnet.private["${tier}-${i}"].id] },
  )
}

output "security_group_ids" {
  description = "Security group ids by role (edge_lb, edge, core_lb, core, database)."
  value       = { for k, sg in aws_security_group.this : k => sg.id }
}

output "edge_lb" {
  description = "The edges' internet-facing load balancer: the target of the region's DNS records."
  value = {
    arn      = aws_lb.this["edge"].arn
    dns_name = aws_lb.this["edge"].dns_name
    zone_id  = aws_lb.this["edge"].zone_id
  }
}

output "core_endpoint" {
  description = "host:port of the cores' internal load balancer."
  value       = local.core_endpoint
}

output "autoscaling_group_names" {
  description = "Auto-scaling group names by tier (edge, core)."
  value       = { for k, g in aws_autoscaling_group.this : k => g.name }
}

output "database_nodes" {
  description = "CockroachDB nodes by key: address, zone and the locality flag each starts with."
  value = {
    for key, node in local.database_nodes : key => {
      address  = "${node.address}:${local.database_port}"
      zone     = local.azs[node.zone]
      locality = local.database_localities[key]
    }
  }
}

output "kms_key_arns" {
  description = "KMS key ARNs by purpose (ebs, logs, secrets, backups)."
  value       = { for k, key in aws_kms_key.this : k => key.arn }
}

output "secret_arns" {
  description = "Secrets Manager secret ARNs by name; their values are put out of band."
  value       = { for k, s in aws_secretsmanager_secret.this : k => s.arn }
}

output "log_group_names" {
  description = "CloudWatch log group names by source."
  value       = { for k, g in aws_cloudwatch_log_group.this : k => g.name }
}

output "backups_bucket" {
  description = "Name of the bucket CockroachDB backs this region's data up to."
  value       = aws_s3_bucket.backups.bucket
}

output "summary" {
  description = "What the other regions and the global module need to know of this region (pass it in their peers and regions inputs)."
  value = {
    name             = var.name
    aws_region       = local.aws_region
    vpc_cidr         = var.vpc_cidr
    zones            = local.azs
    edge_cidrs       = local.subnets.edge
    core_cidrs       = local.subnets.core
    database_cidrs   = local.subnets.database
    database_join    = local.database_addresses
    core_endpoint    = local.core_endpoint
    edge_lb_dns_name = aws_lb.this["edge"].dns_name
    edge_lb_zone_id  = aws_lb.this["edge"].zone_id
    backups_bucket   = aws_s3_bucket.backups.bucket
  }
}
