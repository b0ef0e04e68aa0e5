# The global module over two regions whose edge load balancers already exist (given as
# variables): latency records and health checks under shop.example.com, the core network, and
# the database settings. In the platform the regions come from region module instances (see
# envs/production). Terraform and provider versions are the module's own (../../versions.tf).

provider "aws" {
  region = "us-east-1"
}

module "global" {
  source = "../.."

  domain_name = "shop.example.com"
  zone_id     = "Z0123456789ABCDEFGHIJ"

  regions = [
    {
      name             = "eu-west"
      aws_region       = "eu-west-1"
      vpc_cidr         = "10.10.0.0/16"
      edge_lb_dns_name = var.edge_load_balancers["eu-west"].dns_name
      edge_lb_zone_id  = var.edge_load_balancers["eu-west"].zone_id
      backups_bucket   = "shop-eu-west-db-backups-123456789012"
    },
    {
      name             = "us-east"
      aws_region       = "us-east-1"
      vpc_cidr         = "10.20.0.0/16"
      edge_lb_dns_name = var.edge_load_balancers["us-east"].dns_name
      edge_lb_zone_id  = var.edge_load_balancers["us-east"].zone_id
      backups_bucket   = "shop-us-east-db-backups-123456789012"
    },
  ]
}
